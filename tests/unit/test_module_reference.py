"""docs/module-reference is what the modules document now: a module whose DOCUMENTATION or
RETURN changed without `scripts/module-reference` being rerun fails here."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "module-reference"


def test_committed_module_reference_matches_the_modules_documentation(tmp_path):
    env = dict(os.environ, PATH="%s:%s" % (Path(sys.executable).parent, os.environ["PATH"]),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    subprocess.run([str(ROOT / "scripts" / "module-reference"), str(tmp_path)], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=600)
    generated = {page.name: page.read_text() for page in tmp_path.iterdir()}
    committed = {page.name: page.read_text() for page in COMMITTED.iterdir()}
    assert sorted(generated) == sorted(committed)
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, "rerun scripts/module-reference: %s differ from the modules' documentation" % stale
