/** `--alert-on-failure`: prepare the script at start, run it on a failing exit. */
export { prepareAlert, runAlert, alertEnv, formatAlertTimestamp, ALERT_TIMEOUT_MS, type PreparedAlert, type AlertInfo, type AlertResult } from './run-alert.js';
