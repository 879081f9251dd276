/** taskmaster's version, printed by `--version` and `version`. */
export const VERSION = "0.1.0";
