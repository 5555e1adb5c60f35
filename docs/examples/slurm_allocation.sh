#!/bin/bash
# A scan inside one SLURM allocation, without dask-jobqueue (docs/scaling.md): the first task
# runs the scheduler and globalfit, every other task one single-threaded Dask worker.
# Submit with: sbatch slurm_allocation.sh
#SBATCH -J globalfit-scan
#SBATCH -p normal
#SBATCH -N 20
#SBATCH --ntasks-per-node=32
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=3G
#SBATCH -t 12:00:00
#SBATCH -o globalfit-scan-%j.out
set -euo pipefail
source "$HOME/globalfit/.venv/bin/activate"
export GLOBALFIT_DATA_DIR="$HOME/globalfit-data"
cd "$HOME/globalfit"
sched="$HOME/scans/scheduler-$SLURM_JOB_ID.json"
dask scheduler --scheduler-file "$sched" --no-dashboard &
while [ ! -f "$sched" ]; do sleep 1; done
# one task fewer than the allocation holds: the scheduler and globalfit share the first core
srun --ntasks=$((SLURM_NTASKS - 1)) dask worker --scheduler-file "$sched" --nthreads 1 \
    --no-dashboard --local-directory "${TMPDIR:-/tmp}" &
globalfit scan runs/zprime_A_figure.toml --out "$HOME/scans/zprime_A" --scheduler "$sched"
status=$?
kill %1 %2 2>/dev/null || true
exit $status
