/** Product version, shown by --version and reported by agents. Keep in step with package.json. */
export const VERSION = '0.1.0';
