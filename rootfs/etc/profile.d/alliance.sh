# An operator's `alliance status` (or any alliance command) finds the data.
export ALLIANCE_DATA_DIR=/var/lib/alliance
