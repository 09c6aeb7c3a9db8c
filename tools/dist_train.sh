#!/usr/bin/env bash
# tools/dist_train.sh CONFIG NUM_GPUS [train.py args...]
# On a machine without GPUs NUM_GPUS processes train on the CPU (gloo).
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
PYTHONPATH="$(dirname "$0")/..:${PYTHONPATH:-}" \
torchrun --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" "$(dirname "$0")/train.py" "$CONFIG" \
    --launcher pytorch "$@"
