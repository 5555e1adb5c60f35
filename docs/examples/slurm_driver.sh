#!/bin/bash
# The driver of a scan on a SLURM cluster (docs/scaling.md): a small, long job that runs the
# Dask scheduler and globalfit, which asks SLURM for worker jobs as configured in
# ~/.config/dask/jobqueue.yaml (docs/examples/jobqueue.yaml). Submit with: sbatch slurm_driver.sh
#SBATCH -J globalfit-driver
#SBATCH -p normal
#SBATCH -n 1
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH -t 48:00:00
#SBATCH -o globalfit-driver-%j.out
set -euo pipefail
source "$HOME/globalfit/.venv/bin/activate"
export GLOBALFIT_DATA_DIR="$HOME/globalfit-data"
cd "$HOME/globalfit"
# 640 workers = 20 jobs of 32 (jobqueue.yaml: cores 32, processes 32). The output folder is on
# the shared filesystem: resubmitting this script after a failure reruns only unfinished runs.
globalfit scan runs/zprime_A_figure.toml --out "$HOME/scans/zprime_A" \
    --cluster slurm --workers 640
