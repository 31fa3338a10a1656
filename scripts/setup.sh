#!/usr/bin/env bash
# lookout's one set-up step (`make setup`): the offline model and the ATT&CK catalog.
# See scripts/setup-model.sh and models/README.md.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/setup-model.sh" "$@"
