"""What every benchmark script shares: where things are, and the Fashion-MNIST
data file they all run on (made once with dl-data, kept in bench/results/)."""
import os, subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release")
PEERS = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "peers"))
RESULTS = os.path.join(ROOT, "bench", "results")

def fashion_data():
    """bench/results/fashion.h5: `dl-data fashion-mnist`, made if missing."""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "fashion.h5")
    if not os.path.exists(path):
        subprocess.run(["bash", "-c", f"{BIN}/dl-data fashion-mnist -q > {path}"], check=True)
    return path
