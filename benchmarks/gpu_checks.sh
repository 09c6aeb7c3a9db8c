#!/usr/bin/env bash
# CUDA checks and GPU figures, in one go (about 5 minutes on one H100).
#
#   bash benchmarks/gpu_checks.sh [LOG_DIR [WORK_DIR]]
#
# Needs hbi's requirements and one GPU. Every step's output goes to
# LOG_DIR/gpu_checks.log (default LOG_DIR work_dirs/gpu_checks), its exit code
# and time to LOG_DIR/summary.txt; the synthetic world and the training run
# go to WORK_DIR (default LOG_DIR/work). Each step is bounded by `timeout`,
# and a failing step does not stop the next ones. In order:
#   the CUDA tests (tests/test_models/test_cuda_paths.py and the Banzhaf
#   tests, which also run on CUDA); benchmarks/train_step.py in fp32 at batch
#   32 and under bf16 autocast at batch 64; benchmarks/eval_similarity.py at
#   full MSR-VTT test scale, unextrapolated; a small synthetic world, 2 epochs
#   of tiny HBI through tools/dist_train.sh (NCCL) with --amp, then
#   tools/test.py with the test loop in fp16; train_step.py under fp16
#   autocast; benchmarks/banzhaf_labels.py; benchmarks/qa_train_step.py (the
#   released QA model, batch 8) and benchmarks/qa_eval.py (MSRVTT-QA size).
set -u
LOG_DIR=${1:-work_dirs/gpu_checks}
WORK_DIR=${2:-$LOG_DIR/work}
mkdir -p "$LOG_DIR" "$WORK_DIR"
LOG="$LOG_DIR/gpu_checks.log"
export PYTHONUNBUFFERED=1
SUMMARY="$LOG_DIR/summary.txt"
: >"$SUMMARY"
: >"$LOG"

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    local start=$SECONDS
    echo "=== $name: $*" | tee -a "$LOG"
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG" | tail -n 25
    local rc=${PIPESTATUS[0]}
    echo "$name rc=$rc $((SECONDS - start))s" | tee -a "$SUMMARY" "$LOG"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
    | tee -a "$LOG"
python -c "import torch; print('torch', torch.__version__, torch.version.cuda)" \
    | tee -a "$LOG"

step cuda_tests 150 python -m pytest -q -p no:cacheprovider \
    tests/test_models/test_cuda_paths.py \
    tests/test_models/test_functional/test_banzhaf_interaction.py
step train_step_fp32 120 python benchmarks/train_step.py --device cuda \
    --batch 32 --repeats 10
step train_step_bf16 90 python benchmarks/train_step.py --device cuda \
    --batch 64 --repeats 10 --amp bf16 --skip-similarity
step eval_similarity 150 python benchmarks/eval_similarity.py --device cuda \
    --released-blocks 256 --full-scale-fraction 1
WORLD=$WORK_DIR/world
CFG=configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py
DATA="data_root=$WORLD"
step world 120 python tools/data/synthetic/generate_synthetic_world.py \
    --out "$WORLD" --num-train 400 --num-val 100 --num-test 200 --no-progress
step dist_train_amp 180 bash tools/dist_train.sh "$CFG" 1 --amp \
    --work-dir "$WORK_DIR/train" --cfg-options train_cfg.max_epochs=2 $DATA
step test_fp16 90 python tools/test.py "$CFG" "$WORK_DIR/train/epoch_2.pth" \
    --work-dir "$WORK_DIR/test" --cfg-options test_cfg.fp16=True $DATA

step train_step_fp16 90 python benchmarks/train_step.py --device cuda \
    --batch 64 --repeats 10 --amp fp16 --skip-similarity
step banzhaf_labels 60 python benchmarks/banzhaf_labels.py --device cuda \
    --loop-seconds 10
step qa_train_step 120 python benchmarks/qa_train_step.py --device cuda \
    --batch 8 --repeats 10
step qa_eval 150 python benchmarks/qa_eval.py --device cuda --batch 256 \
    --pair-fraction 0.2


cat "$SUMMARY"
