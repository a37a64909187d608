#!/usr/bin/env python3
"""Checks deploy/ without Docker or a cluster (a build machine has neither).

  runtime-packages  install the build into a temporary prefix, ldd every binary and
                    sink plugin, map each library to its Debian package (dpkg -S) and
                    compare with deploy/container/runtime-packages.txt: a needed
                    package missing from the list, or a listed package nothing links,
                    fails, naming the library, the file that links it and the package.
  container         the Dockerfile's shape (stages, the package files it reads, a
                    non-root user matching the Kubernetes files, the entrypoint) and
                    build-packages.txt against scripts/setup.sh.
  kubernetes        every YAML file parses (PyYAML); the Indexed Jobs' completions and
                    parallelism equal the --shards in their args; the CronJob forbids
                    overlaps; the config comes from the ConfigMap and `spsync validate`
                    accepts it; the certificate comes from a read-only Secret; pods run
                    as non-root with requests and limits.

Exit status: 0 pass, 1 fail (every problem printed), 77 skipped (not Debian 12).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

# Packages every debian:bookworm-slim image has, so runtime-packages.txt need not
# list them. The image is Debian's minbase: the Essential set plus apt. Each entry
# says which of those pulls it in; check_base_set() verifies the claim against the
# installed packages' Depends/Pre-Depends (this machine runs Debian 12 too), so the
# list cannot silently grow a package the slim image lacks.
BASE_SET = {
    "libc6": "Pre-Depends of dpkg (Essential)",
    "zlib1g": "Pre-Depends of dpkg (Essential)",
    "libzstd1": "Pre-Depends of dpkg (Essential)",
    "libstdc++6": "Depends of apt",
    "libgcc-s1": "Depends of apt",
    "liblz4-1": "Depends of libapt-pkg6.0 (apt's library)",
}
BASE_ROOTS = ["dpkg", "apt"]

# Packages scripts/setup.sh installs that the image's build stage does not need.
DEV_ONLY = {
    "ccache": "compiler cache for development builds",
    "clang-format": "formatting check",
    "git": "development",
    "python3": "test scripts (tests/deploy, fuzz helpers)",
    "python3-yaml": "tests/deploy parses the Kubernetes files",
    "nodejs": "npm test peers (PnPjs, s3rver, kafkajs)",
    "npm": "npm test peers",
    "sqlite3": "the sqlite3 shell, used by tests",
    "libgtest-dev": "tests (SPSYNC_BUILD_TESTS=OFF in the image)",
    "libgmock-dev": "tests",
    "libbenchmark-dev": "benchmarks (SPSYNC_BUILD_BENCH=OFF in the image)",
    "g++-mingw-w64-x86-64": "a test that builds a Windows sink DLL with the SDK",
    "prometheus": "promtool checks the metrics exposition; a Prometheus server scrapes serve in a test",
    "openssl": "the openssl CLI makes the certificates of the TLS and certificate-auth tests",
    "ca-certificates": "npm ci fetches the test peers over HTTPS",
    "clang": "the libFuzzer targets (tests/fuzz) build with clang",
    "libclang-rt-14-dev": "libFuzzer and the sanitizer runtimes of the fuzz build",
}

problems = []


def fail(msg):
    problems.append(msg)
    print("FAIL: " + msg)


def read_package_file(path):
    """[(package, comment)] from a one-package-a-line file with '#' comments."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            body, _, comment = line.partition("#")
            words = body.split()
            if not words:
                continue
            if len(words) > 1:
                fail(f"{path}:{n}: one package a line, found {words}")
            out.append((words[0], comment.strip()))
    return out


def is_debian12():
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return False
    return re.search(r'^ID=debian$', text, re.M) and re.search(r'^VERSION_ID="12"$', text, re.M)


# ---------------------------------------------------------------- runtime packages

def elf_files(prefix):
    """Every executable in bin/ and every shared object under lib/ of the prefix."""
    files = []
    for root, _, names in os.walk(prefix):
        for name in names:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            rel = os.path.relpath(path, prefix)
            if rel.startswith("bin" + os.sep) or (rel.startswith("lib" + os.sep) and ".so" in name):
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        files.append(path)
    return sorted(files)


def ldd(path):
    """{soname: resolved path} of what `path` loads (transitively), or fails."""
    r = subprocess.run(["ldd", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"ldd {path} failed: {r.stderr.strip()}")
        return {}
    libs = {}
    for line in r.stdout.splitlines():
        line = line.strip()
        m = re.match(r"(\S+) => (.*?) \(0x[0-9a-f]+\)$", line)
        if m:
            libs[m.group(1)] = m.group(2)
            continue
        m = re.match(r"(\S+) => not found$", line)
        if m:
            fail(f"{path} needs {m.group(1)}, which is not installed here either")
            continue
        m = re.match(r"(/\S+) \(0x[0-9a-f]+\)$", line)  # the dynamic loader
        if m:
            libs[os.path.basename(m.group(1))] = m.group(1)
    return libs


def path_candidates(path):
    """The names dpkg may know `path` by. Debian 12 has merged /usr (/lib -> usr/lib),
    but dpkg's database records each file where its package put it: libc6 under /lib,
    most libraries under /usr/lib. So try both spellings, then the symlink's target."""
    out = []
    for p in (path, os.path.realpath(path)):
        out.append(p)
        if p.startswith("/usr/lib/"):
            out.append(p[len("/usr"):])
        elif p.startswith("/lib/") or p.startswith("/lib64/"):
            out.append("/usr" + p)
    seen = set()
    return [p for p in out if not (p in seen or seen.add(p))]


_dpkg_cache = {}


def package_of(path):
    if path in _dpkg_cache:
        return _dpkg_cache[path]
    pkg = None
    for candidate in path_candidates(path):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            # "libfoo1:amd64: /usr/lib/..." (diversions print other lines first)
            for line in r.stdout.splitlines():
                m = re.match(r"([^:\s,]+)(?::[a-z0-9]+)?: " + re.escape(candidate) + "$", line)
                if m:
                    pkg = m.group(1)
                    break
        if pkg:
            break
    _dpkg_cache[path] = pkg
    return pkg


def depends_of(package):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Pre-Depends}, ${Depends}", package],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return set()
    names = set()
    for clause in r.stdout.split(","):
        for alt in clause.split("|"):
            name = alt.strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return names


def check_base_set():
    """Each BASE_SET package is pulled in by dpkg or apt (two levels deep)."""
    reach = set(BASE_ROOTS)
    for _ in range(2):
        for p in list(reach):
            reach |= depends_of(p)
    for pkg, why in BASE_SET.items():
        if pkg not in reach:
            fail(f"BASE_SET claims {pkg} is in debian:bookworm-slim ({why}), but neither dpkg nor "
                 "apt depends on it here")


def runtime_packages(args):
    if not is_debian12() or not shutil.which("dpkg"):
        print("SKIP: the package names are Debian 12's; this is not Debian 12 with dpkg")
        return SKIP
    check_base_set()
    listed = read_package_file(os.path.join(args.source, "deploy/container/runtime-packages.txt"))
    listed_names = {p for p, _ in listed}
    not_linked = {p for p, c in listed if "[not linked]" in c}
    for p, c in listed:
        if p in BASE_SET:
            print(f"note: {p} is listed although debian:bookworm-slim has it ({BASE_SET[p]})")

    with tempfile.TemporaryDirectory(prefix="spsync-install-") as prefix:
        r = subprocess.run(["cmake", "--install", args.build, "--prefix", prefix],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("cmake --install " + args.build + " failed (build everything first):\n" +
                 r.stdout + r.stderr)
            return 1
        files = elf_files(prefix)
        names = {os.path.relpath(f, prefix) for f in files}
        for must in ("bin/spsync", "bin/spsync-emulator"):
            if must not in names:
                fail(f"the install has no {must} (found {sorted(names)})")
        plugins = [n for n in names if n.startswith("lib/spsync/sinks/")]
        if len(plugins) < 4:
            fail(f"expected the four built-in sink plugins in lib/spsync/sinks, found {plugins}")

        needed = {}  # package -> [(library, file)]
        for f in files:
            rel = os.path.relpath(f, prefix)
            for soname, lib in sorted(ldd(f).items()):
                if lib.startswith(prefix + os.sep):
                    continue  # installed alongside: in the image too
                if lib.startswith(os.path.realpath(args.build)) or lib.startswith(args.source):
                    fail(f"{rel} loads {lib} from the build or source tree: the image would lack it")
                    continue
                pkg = package_of(lib)
                if pkg is None:
                    fail(f"{rel} loads {soname} ({lib}), which no Debian package owns "
                         "(built by hand? the image cannot install it)")
                    continue
                needed.setdefault(pkg, []).append((soname, rel))

    print(f"checked {len(files)} files: " + ", ".join(sorted(names)))
    for pkg in sorted(needed):
        libs = sorted({s for s, _ in needed[pkg]})
        where = "base image" if pkg in BASE_SET else ("listed" if pkg in listed_names else "MISSING")
        print(f"  {pkg:22} {where:10} {' '.join(libs)}")
    for pkg in sorted(set(needed) - set(BASE_SET) - listed_names):
        for soname, rel in sorted(set(needed[pkg])):
            fail(f"{rel} links {soname} from package {pkg}, which deploy/container/"
                 "runtime-packages.txt does not list")
    for pkg in sorted(listed_names - set(needed) - not_linked):
        fail(f"deploy/container/runtime-packages.txt lists {pkg}, but nothing installed links it "
             "(stale? if it is needed for something else, say so with [not linked] and why)")
    for pkg in sorted(not_linked):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if r.returncode != 0 and subprocess.run(["apt-cache", "show", pkg],
                                                capture_output=True).returncode != 0:
            fail(f"runtime-packages.txt lists {pkg} [not linked], which Debian 12 does not know")
    return 1 if problems else 0


# ---------------------------------------------------------------- container recipe

def dockerfile_stages(text):
    """[(base image, alias or None, [instruction lines])], continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    stages = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", line, re.I)
        if m:
            stages.append((m.group(1), m.group(2), []))
        elif stages:
            stages[-1][2].append(line)
    return stages


def container(args):
    path = os.path.join(args.source, "deploy/container/Dockerfile")
    with open(path, encoding="utf-8") as f:
        stages = dockerfile_stages(f.read())
    if len(stages) != 2:
        fail(f"{path}: expected two stages (build, runtime), found {len(stages)}")
        return 1
    (build_img, build_alias, build), (run_img, _, run) = stages
    if build_img != "debian:bookworm":
        fail(f"{path}: the build stage should be FROM debian:bookworm, not {build_img}")
    if run_img != "debian:bookworm-slim":
        fail(f"{path}: the runtime stage should be FROM debian:bookworm-slim, not {run_img}")
    build_text, run_text = "\n".join(build), "\n".join(run)
    for want in ("COPY deploy/container/build-packages.txt", "cmake --preset release",
                 "cmake --build --preset release", "cmake --install build/release --prefix /opt/spsync"):
        if want not in build_text:
            fail(f"{path}: the build stage lacks `{want}`")
    if "COPY deploy/container/runtime-packages.txt" not in run_text or \
            "runtime-packages.txt | xargs" not in run_text:
        fail(f"{path}: the runtime stage must install the packages of runtime-packages.txt")
    for want in (f"--from={build_alias} /opt/spsync/bin", f"--from={build_alias} /opt/spsync/lib/spsync"):
        if want not in run_text:
            fail(f"{path}: the runtime stage must copy {want.split(' ')[1]} from the build stage")
    user = [l for l in run if l.upper().startswith("USER ")]
    if not user:
        fail(f"{path}: the runtime stage sets no USER (it would run as root)")
        uid = None
    else:
        uid = user[-1].split()[1].split(":")[0]
        if uid in ("0", "root"):
            fail(f"{path}: USER {uid} is root")
    entry = [l for l in run if l.upper().startswith("ENTRYPOINT ")]
    if not entry or json.loads(entry[-1].split(None, 1)[1])[0] != "/opt/spsync/bin/spsync":
        fail(f"{path}: ENTRYPOINT should be [\"/opt/spsync/bin/spsync\"], found {entry}")
    # The Kubernetes files run as the image's user.
    if uid is not None:
        for doc, pod in pod_specs(args):
            ran = str(pod.get("securityContext", {}).get("runAsUser"))
            if ran != uid:
                fail(f"{doc}: runAsUser {ran} is not the image's USER {uid}")

    # build-packages.txt against scripts/setup.sh.
    with open(os.path.join(args.source, "scripts/setup.sh"), encoding="utf-8") as f:
        m = re.search(r"packages=\((.*?)\)", f.read(), re.S)
    setup = set(m.group(1).split()) if m else set()
    if not setup:
        fail("scripts/setup.sh: no packages=(...) list found")
    build_pkgs = {p for p, _ in read_package_file(
        os.path.join(args.source, "deploy/container/build-packages.txt"))}
    for p in sorted(build_pkgs - setup):
        fail(f"build-packages.txt has {p}, which scripts/setup.sh does not install (typo? gone?)")
    for p in sorted(setup - build_pkgs - set(DEV_ONLY)):
        fail(f"scripts/setup.sh installs {p}; the image's build stage needs it too "
             "(add it to deploy/container/build-packages.txt) or it is development-only "
             "(add it to DEV_ONLY in tests/deploy/check_deploy.py with why)")
    for p in sorted(set(DEV_ONLY) & build_pkgs):
        fail(f"{p} is both in build-packages.txt and DEV_ONLY")
    return 1 if problems else 0


# ---------------------------------------------------------------- kubernetes

def load_manifests(args):
    import yaml  # python3-yaml (scripts/setup.sh)
    folder = os.path.join(args.source, "deploy/kubernetes")
    docs = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as f:
                for d in yaml.safe_load_all(f):
                    if d is not None:
                        docs.append((name, d))
        except yaml.YAMLError as e:
            fail(f"{path}: not valid YAML: {e}")
    return docs


def job_specs(args):
    """[(file, Job spec)] of every Job and every CronJob's job template."""
    out = []
    for name, d in load_manifests(args):
        if d.get("kind") == "Job":
            out.append((name, d["spec"]))
        elif d.get("kind") == "CronJob":
            out.append((name, d["spec"]["jobTemplate"]["spec"]))
    return out


def pod_specs(args):
    return [(name, spec["template"]["spec"]) for name, spec in job_specs(args)]


def arg_value(argv, flag):
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def kubernetes(args):
    docs = load_manifests(args)
    kinds = {}
    for name, d in docs:
        for key in ("apiVersion", "kind", "metadata"):
            if key not in d:
                fail(f"{name}: a document without {key}")
        kinds.setdefault(d.get("kind"), []).append((name, d))
    for kind in ("ConfigMap", "Job", "CronJob"):
        if kind not in kinds:
            fail(f"deploy/kubernetes has no {kind}")
    if problems:
        return 1
    for name, d in kinds["CronJob"]:
        if d["spec"].get("concurrencyPolicy") != "Forbid":
            fail(f"{name}: concurrencyPolicy must be Forbid (runs must not overlap)")
    configmaps = {d["metadata"]["name"]: (name, d) for name, d in kinds["ConfigMap"]}

    for name, spec in job_specs(args):
        pod = spec["template"]["spec"]
        containers = pod.get("containers", [])
        if len(containers) != 1:
            fail(f"{name}: expected one container, found {len(containers)}")
            continue
        c = containers[0]
        argv = [str(a) for a in c.get("args", [])]
        if argv[:1] != ["run"]:
            fail(f"{name}: args should start with run: {argv}")
        shards = arg_value(argv, "--shards")
        if spec.get("completionMode") != "Indexed":
            fail(f"{name}: completionMode must be Indexed (JOB_COMPLETION_INDEX feeds --shards)")
        if shards is None:
            fail(f"{name}: args have no --shards N: {argv}")
        else:
            for key in ("completions", "parallelism"):
                if str(spec.get(key)) != shards:
                    fail(f"{name}: {key} is {spec.get(key)} but args say --shards {shards}: every "
                         "index must run at once and exactly the N shards must exist")
        if arg_value(argv, "--timeout") is None:
            fail(f"{name}: args have no --timeout (a pod must end on its own and save its state)")
        if pod.get("restartPolicy") != "Never":
            fail(f"{name}: restartPolicy must be Never (podFailurePolicy and exit codes)")

        # Security: non-root, no privilege escalation, read-only root.
        psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True or not psc.get("runAsUser"):
            fail(f"{name}: the pod must set runAsNonRoot: true and a non-zero runAsUser")
        if csc.get("allowPrivilegeEscalation") is not False:
            fail(f"{name}: allowPrivilegeEscalation must be false")
        if csc.get("readOnlyRootFilesystem") is not True:
            fail(f"{name}: readOnlyRootFilesystem must be true")
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            for what in ("cpu", "memory"):
                if what not in res.get(kind, {}):
                    fail(f"{name}: resources.{kind}.{what} is not set")

        # Volumes: config from a ConfigMap, certificate from a read-only Secret,
        # a writable place for run.workDir.
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        config_path = arg_value(argv, "--config") or ""
        config_mount = max((p for p in mounts if config_path.startswith(p.rstrip("/") + "/")),
                           key=len, default=None)
        if config_mount is None:
            fail(f"{name}: --config {config_path} is not under any volume mount")
            continue
        vol = volumes.get(mounts[config_mount]["name"], {})
        if "configMap" not in vol or mounts[config_mount].get("readOnly") is not True:
            fail(f"{name}: {config_mount} (the config) should be a read-only ConfigMap volume")
            continue
        cm_name = vol["configMap"]["name"]
        if cm_name not in configmaps:
            fail(f"{name}: ConfigMap {cm_name} is not in deploy/kubernetes")
            continue
        cm_file, cm = configmaps[cm_name]
        key = os.path.basename(config_path)
        if key not in cm.get("data", {}):
            fail(f"{cm_file}: ConfigMap {cm_name} has no key {key} (args say --config {config_path})")
            continue
        try:
            config = json.loads(cm["data"][key])
        except json.JSONDecodeError as e:
            fail(f"{cm_file}: {key} is not valid JSON: {e}")
            continue
        cert = config.get("site", {}).get("auth", {}).get("certificate", "")
        cert_mount = max((p for p in mounts if cert.startswith(p.rstrip("/") + "/")), key=len,
                         default=None)
        if not cert or cert_mount is None:
            fail(f"{name}: site.auth.certificate ({cert!r}) is not under a volume mount")
        else:
            cvol = volumes.get(mounts[cert_mount]["name"], {})
            if "secret" not in cvol or mounts[cert_mount].get("readOnly") is not True:
                fail(f"{name}: {cert_mount} (the certificate) should be a read-only Secret volume")
        work = config.get("run", {}).get("workDir", "")
        work_mount = max((p for p in mounts if work.startswith(p.rstrip("/") + "/") or work == p),
                         key=len, default=None)
        if work_mount is None or mounts[work_mount].get("readOnly") or \
                "emptyDir" not in volumes.get(mounts[work_mount]["name"], {}):
            fail(f"{name}: run.workDir ({work!r}) must be on a writable emptyDir: the root "
                 "filesystem is read-only and /config is a ConfigMap")
        for env in c.get("env", []):
            if "value" in env and re.search(r"(?i)secret|password|token", env["name"]):
                fail(f"{name}: env {env['name']} holds a secret in plain text; use secretKeyRef")

    # The ConfigMap's config is one spsync accepts: validate it with the real binary
    # and plugins, the certificate path pointing at a throw-away certificate.
    for cm_file, cm in kinds["ConfigMap"]:
        for key, text in cm.get("data", {}).items():
            if key.endswith(".json"):
                validate_config(args, cm_file, key, text)
    return 1 if problems else 0


def validate_config(args, cm_file, key, text):
    with tempfile.TemporaryDirectory(prefix="spsync-k8s-") as tmp:
        config = json.loads(text)
        cert = config["site"]["auth"]["certificate"]
        pem = os.path.join(tmp, "spsync.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=spsync-test", "-keyout", pem + ".key", "-out", pem],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("openssl could not make a test certificate: " + r.stderr)
            return
        with open(pem, "a", encoding="utf-8") as out, open(pem + ".key", encoding="utf-8") as k:
            out.write(k.read())
        path = os.path.join(tmp, key)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(cert, pem))
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                   AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        r = subprocess.run([args.spsync, "validate", "--config", path], capture_output=True,
                           text=True, env=env)
        print(f"spsync validate ({cm_file} {key}):\n" + r.stdout + r.stderr)
        if r.returncode != 0 or "config is valid" not in r.stdout:
            fail(f"{cm_file}: spsync validate refuses {key} (exit {r.returncode})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("check", choices=["runtime-packages", "container", "kubernetes"])
    ap.add_argument("--source", required=True)
    ap.add_argument("--build")
    ap.add_argument("--spsync")
    args = ap.parse_args()
    args.source = os.path.realpath(args.source)
    rc = {"runtime-packages": runtime_packages, "container": container,
          "kubernetes": kubernetes}[args.check](args)
    if rc == 0 and problems:
        rc = 1
    print(f"{len(problems)} problem(s)" if problems else "ok")
    return rc


if __name__ == "__main__":
    sys.exit(main())
