#!/usr/bin/env bash
# tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]
#
# Trains on a Slurm cluster: srun starts GPUS tasks (one per GPU,
# GPUS_PER_NODE per node) and tools/train.py joins them with
# --launcher slurm (mmengine reads SLURM_PROCID, SLURM_NTASKS and the node
# list; rank 0's node is the master, on port PORT).
#
# Environment: GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), PORT (29500),
# SRUN_ARGS (extra srun options, e.g. "--quotatype=auto").
# Example, 16 GPUs on 2 nodes:
#   GPUS=16 bash tools/slurm_train.sh my_partition hbi \
#       configs/retrieval/hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
export MASTER_PORT=${PORT:-29500}
export PYTHONPATH="$(dirname "$0")/..:${PYTHONPATH:-}"
# shellcheck disable=SC2086  # SRUN_ARGS holds several options
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/train.py" "$CONFIG" --launcher slurm "$@"
