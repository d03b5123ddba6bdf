// A systemd unit name as `watch --journald` and the configuration file take it: the characters
// systemd allows, and never a leading '-' (it goes to journalctl as `--unit=NAME`, but a name
// that reads as an option is refused all the same).
export const UNIT_NAME = /^(?!-)[\w@.:\\-]+$/;
