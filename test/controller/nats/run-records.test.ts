import test from 'ava';
import { taskerLogBase } from '../../../controller/nats/local-paths.js';

test('the tasker log base: last -l of a tasker template, else TASK_EXECUTOR_LOG, else ~/TASKER; none for other commands', (t) => {
  const env = { HOME: '/home/op' };
  t.is(taskerLogBase('tasker -r @TASK@ -l /a -l logs', env, '/ws'), '/ws/logs');
  t.is(taskerLogBase('node /x/tasker.cjs -r @TASK@ --log-dir=~/L', env, '/ws'), '/home/op/L');
  t.is(taskerLogBase('tasker -r @TASK@', { ...env, TASK_EXECUTOR_LOG: '/var/t' }, '/ws'), '/var/t');
  t.is(taskerLogBase('tasker -r @TASK@', env, '/ws'), '/home/op/TASKER');
  t.is(taskerLogBase('/bin/sh @TASK@', env, '/ws'), undefined);
});
