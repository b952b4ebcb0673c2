"""Audit the installed Python environment with pip-audit, and say plainly what was audited.

pip-audit prints "No known vulnerabilities found" even when it could not look a single package
up (PyPI's per-release JSON missing, the OSV service out of reach): every package is then only
"skipped". This script reads pip-audit's JSON report and tells the cases apart:

* ``clean``: N packages audited, none with a known vulnerability (exit 0);
* ``vulnerable``: a vulnerability that ``.ci/pip-audit-ignore.txt`` does not list (exit 1);
* ``unreachable``: no vulnerability service answered, nothing was audited: printed loudly,
  exit 0, because CI must still run where only the package index is reachable;
* ``error``: pip-audit failed for another reason (exit 2).

Services are tried in order (PyPI, then OSV); the first one that audits anything decides.

    .venv/bin/python .ci/pip_audit.py [--ignore-file .ci/pip-audit-ignore.txt]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVICES = ("pypi", "osv")
DEFAULT_IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")
#: What a request that never reached the service leaves in pip-audit's error output.
NETWORK_ERRORS = (
    "ConnectionError", "NameResolutionError", "Max retries exceeded", "ConnectTimeout",
    "ReadTimeout", "Temporary failure in name resolution", "Name or service not known",
    "Connection refused", "Network is unreachable", "timed out",
)


@dataclass(frozen=True)
class Run:
    """One pip-audit run: its exit code, its parsed JSON report (None if none) and stderr."""

    returncode: int
    report: dict[str, Any] | None
    stderr: str


@dataclass(frozen=True)
class Outcome:
    kind: str  # clean | vulnerable | unreachable | error
    service: str
    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # "name version id" not ignored
    ignored: list[str] = field(default_factory=list)  # "name version id (reason)"
    detail: str = ""

    @property
    def exit_code(self) -> int:
        return {"clean": 0, "unreachable": 0, "vulnerable": 1}.get(self.kind, 2)


def parse_ignore_list(text: str) -> dict[str, str]:
    """``ID  # reason`` per line; blank lines and whole-line comments are skipped.

    An entry without a reason is refused: every ignored vulnerability was reviewed.
    """
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition("#")
        vuln_id, reason = vuln_id.strip(), reason.strip()
        if not reason or " " in vuln_id:
            raise ValueError(f"line {number}: expected 'VULN-ID  # reason', got {raw!r}")
        entries[vuln_id] = reason
    return entries


def classify(service: str, run: Run, ignore: dict[str, str]) -> Outcome:
    """Decide what one pip-audit run means (the logic the unit tests pin down)."""
    if run.report is None:
        if any(marker in run.stderr for marker in NETWORK_ERRORS):
            return Outcome("unreachable", service, detail=_last_line(run.stderr))
        return Outcome("error", service, detail=_last_line(run.stderr) or
                       f"pip-audit exited {run.returncode} without a report")
    audited = 0
    skipped: list[str] = []
    found: list[str] = []
    ignored: list[str] = []
    for dep in run.report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append(str(dep.get("name")))
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            names = [vuln.get("id", "?"), *vuln.get("aliases", [])]
            label = f"{dep.get('name')} {dep.get('version')} {names[0]}"
            reason = next((ignore[n] for n in names if n in ignore), None)
            if reason is None:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
                found.append(f"{label} (fixed in: {fixes})")
            else:
                ignored.append(f"{label} ({reason})")
    if audited == 0:
        return Outcome("unreachable", service, skipped=skipped,
                       detail=f"all {len(skipped)} packages skipped")
    kind = "vulnerable" if found else "clean"
    return Outcome(kind, service, audited, skipped, found, ignored)


def audit(services: Sequence[str], ignore: dict[str, str],
          runner: Callable[[str], Run]) -> Outcome:
    """Try each service in turn; the first that audits anything (or fails oddly) decides."""
    outcome = Outcome("unreachable", "none", detail="no service tried")
    tried: list[str] = []
    for service in services:
        outcome = classify(service, runner(service), ignore)
        if outcome.kind != "unreachable":
            return outcome
        tried.append(f"{service}: {outcome.detail}")
    return Outcome("unreachable", "none", skipped=outcome.skipped, detail="; ".join(tried))


def report_lines(outcome: Outcome) -> list[str]:
    """What CI prints: one headline, then the details that matter."""
    if outcome.kind == "unreachable":
        bar = "!" * 72
        return [bar, "pip-audit AUDITED NOTHING: no vulnerability service could be reached",
                f"({outcome.detail}).",
                "This is NOT a clean result: dependencies were not checked for known "
                "vulnerabilities.", bar]
    if outcome.kind == "error":
        return [f"pip-audit failed ({outcome.service}): {outcome.detail}"]
    lines = [f"pip-audit ({outcome.service}): audited {outcome.audited} packages, "
             f"{len(outcome.found)} known vulnerabilities"
             + (f", {len(outcome.ignored)} ignored after review" if outcome.ignored else "")]
    if outcome.skipped:
        lines.append(f"  not audited ({len(outcome.skipped)}): "
                     + ", ".join(sorted(outcome.skipped)))
    lines += [f"  VULNERABLE: {item}" for item in outcome.found]
    lines += [f"  ignored: {item}" for item in outcome.ignored]
    return lines


def run_pip_audit(service: str, timeout: int = 15) -> Run:
    """pip-audit over this interpreter's environment, its JSON report read back."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable",
                   "--progress-spinner", "off", "--format", "json", "--output", str(out),
                   "--vulnerability-service", service, "--timeout", str(timeout)]
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=timeout * 20, check=False)
        except subprocess.TimeoutExpired:
            return Run(-1, None, "pip-audit timed out")
        report = None
        if out.exists() and out.stat().st_size:
            try:
                report = json.loads(out.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                report = None
        return Run(done.returncode, report, done.stderr)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ignore-file", type=Path, default=DEFAULT_IGNORE_FILE)
    args = parser.parse_args(argv)
    try:
        ignore = (parse_ignore_list(args.ignore_file.read_text(encoding="utf-8"))
                  if args.ignore_file.exists() else {})
    except ValueError as exc:
        print(f"{args.ignore_file}: {exc}", file=sys.stderr)
        return 2
    outcome = audit(SERVICES, ignore, run_pip_audit)
    for line in report_lines(outcome):
        print(line)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
