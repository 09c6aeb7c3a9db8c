#!/usr/bin/env bash
# tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
#
# Evaluates on a Slurm cluster, as tools/slurm_train.sh trains: GPUS tasks
# (GPUS_PER_NODE per node) joined by tools/test.py --launcher slurm. The
# similarity matrix is the single-process one whatever the task count.
#
# Environment: GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), PORT (29500),
# SRUN_ARGS (extra srun options).
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
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
    python -u "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher slurm "$@"
