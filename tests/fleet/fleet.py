"""A real local fleet of Docker "ships" on one machine.

Each ship is its own dockerd in its own network namespace, with its own IP on a bridge the
fleet creates, its own TCP Docker API, image store and published ports, like a separate host.
A local registry on the bridge serves images built FROM scratch, and every ship pulls from it.

Everything the fleet makes carries its prefix (netns ``<prefix>-shipN``, links ``<prefix>-vN``
and ``<prefix>-br``, cgroups ``/maestro-<prefix>-shipN``, runtime dir ``/run/maestro-fleet/<prefix>``)
or is recorded in its state directory, and ``down()`` removes exactly those: daemons by their
pidfiles (checked against their command line), never by process name.

A fleet belongs to the state directory it was started with: ``up`` and ``down`` refuse to touch a
fleet of the same prefix that runs from another directory (another checkout's), and say where it runs,
and refuse a state directory that holds a fleet of another prefix.

``up`` on a fleet that runs reuses it, and restarts with their state the daemons of it that died (a
ship's dockerd over its data root and exec root, so its containers are kept; the registry over its
storage), touching nothing else. When that cannot be done (a namespace or link gone) it refuses and
says what is missing; it never wipes a fleet silently.

Tests that need fleets beside the main one (a TLS-only ship, a five-ship fleet, a fleet that fails
to start, a stale one, one whose daemons are killed) take them from ``Fleet.extra(slot, state_dir)``,
whose prefix and subnet derive from the main fleet's so that fleets of different engineers never
meet: extra fleet ``slot`` (0-3) of the fleet on A.B.C is prefix ``<prefix[:5]><t|f|b|s>`` on
A.B.(100 + 4*C + slot), e.g. 10.231.100-103 beside the default 10.231.0 and 10.231.148-151 beside
10.231.12; slot 4 is ``<prefix[:5]>r`` on A.(B + 1).C, e.g. 10.232.0. Main fleets with extras
therefore take third octets 0-38, and their extras never overlap.

Usage: ``python tests/fleet/fleet.py up|down|status|show [--ships N]``.
Environment: FLEET_SHIPS (3), FLEET_PREFIX (mdk), FLEET_SUBNET (10.231.0: the first three
octets of the /24 the ships live on), FLEET_DIR (.fleet in the checkout).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN_ROOT = Path("/run/maestro-fleet")
API_PORT = 2375
TLS_API_PORT = 2376
REGISTRY_PORT = 5000
SHIP_START_TIMEOUT = 90
DEMO_REPOSITORY = "demo/web"
DEMO_TAGS = ("v1", "v2", "broken", "flaky", "slow")
# demo/web:flaky answers 500 to this share (percent) of the requests for /, spread evenly, unless FLAKY_PERCENT says otherwise;
# demo/web:slow answers / after this many milliseconds unless SLOW_MS says otherwise. Both answer /health at once.
FLAKY_PERCENT = 20
SLOW_MS = 300
PROXY_REPOSITORY = "proxy/haproxy"
PROXY_TAG = "2.6"
# keepalived (VRRP) for a floating address in front of the proxies: Debian's binary, laid into an image like HAProxy's.
KEEPALIVED_REPOSITORY = "proxy/keepalived"
KEEPALIVED_TAG = "2.2"
# Extra fleets beside a main one (Fleet.extra): their prefixes' last letter, per slot, and where their subnets start.
# Slots 0-3 of the fleet on A.B.C take A.B.(100 + 4C + slot), so main fleets with extras take third octets 0 to
# MAIN_THIRD_OCTET_MAX. Slot 4, added later, takes A.(B + 1).C: 39-99 hold main fleets that have no extras.
EXTRA_LETTERS = "tfbsr"
EXTRA_SUBNET_START = 100
MAIN_THIRD_OCTET_MAX = 38
PACKAGES = {  # command -> Debian package that provides it
    "dockerd": "docker.io",
    "docker-registry": "docker-registry",
    "busybox": "busybox-static",
    "iptables": "iptables",
    "ip": "iproute2",
    "nsenter": "util-linux",
    "keepalived": "keepalived",
}


class FleetError(Exception):
    """A fleet operation failed; the message is one sentence for a person."""


def log(msg: str) -> None:
    print(f"fleet: {msg}", file=sys.stderr, flush=True)


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise FleetError(f"`{' '.join(cmd)}` failed: {(proc.stderr or proc.stdout).strip()}")
    return proc


@dataclass
class Ship:
    index: int
    fleet: Fleet

    @property
    def name(self) -> str:
        return f"ship{self.index}"

    @property
    def netns(self) -> str:
        return f"{self.fleet.prefix}-ship{self.index}"

    @property
    def veth(self) -> str:
        return f"{self.fleet.prefix}-v{self.index}"

    @property
    def ip(self) -> str:
        return f"{self.fleet.subnet}.{10 + self.index}"

    @property
    def docker_host(self) -> str:
        return f"tcp://{self.ip}:{TLS_API_PORT if self.fleet.tls_dir else API_PORT}"

    @property
    def data_dir(self) -> Path:
        return self.fleet.state_dir / self.name

    @property
    def run_dir(self) -> Path:
        # Kept short: containerd's socket lives below it and unix socket paths max out at 108 bytes.
        return self.fleet.run_dir / self.name

    @property
    def socket(self) -> Path:
        return self.run_dir / "docker.sock"

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "docker.pid"

    @property
    def exec_root(self) -> Path:
        return self.run_dir / "exec"

    @property
    def containerd_pidfile(self) -> Path:
        """The pidfile of the containerd that dockerd starts for itself (below its exec root)."""
        return self.exec_root / "containerd" / "containerd.pid"

    @property
    def cgroup_parent(self) -> str:
        return f"maestro-{self.fleet.prefix}-ship{self.index}"

    @property
    def logfile(self) -> Path:
        return self.data_dir / "dockerd.log"

    def dockerd_args(self) -> list[str]:
        return [
            "nsenter",
            f"--net=/var/run/netns/{self.netns}",
            "dockerd",
            "--data-root",
            str(self.data_dir / "root"),
            "--exec-root",
            str(self.exec_root),
            "--pidfile",
            str(self.pidfile),
            "-H",
            self.docker_host,
            "-H",
            f"unix://{self.socket}",
            "--bip",
            f"172.31.{self.index}.1/24",
            "--cgroup-parent",
            f"/{self.cgroup_parent}",
            "--insecure-registry",
            self.fleet.registry,
            *self.tls_args(),
            *self.fleet.extra_dockerd_args.get(self.name, []),
        ]

    def tls_args(self) -> list[str]:
        """With a TLS fleet, the TCP API requires client certificates signed by the fleet's CA."""
        tls = self.fleet.tls_dir
        if not tls:
            return []
        return ["--tlsverify", "--tlscacert", str(tls / "ca.pem"), "--tlscert", str(tls / "server-cert.pem"), "--tlskey", str(tls / "server-key.pem")]

    def client(self, timeout: int = 30):
        import docker  # noqa: PLC0415 - only the parts that talk to Docker need the SDK

        tls = False
        if self.fleet.tls_dir:
            certs = self.fleet.tls_dir
            tls = docker.tls.TLSConfig(client_cert=(str(certs / "cert.pem"), str(certs / "key.pem")), ca_cert=str(certs / "ca.pem"), verify=True)
        client = docker.DockerClient(base_url=self.docker_host, timeout=timeout, version="1.41" if tls else "auto", tls=tls)
        if tls:
            client.api.trust_env = False  # REQUESTS_CA_BUNDLE would replace the fleet CA
        return client

    def dockerd_pid(self) -> int | None:
        """The pid of this ship's dockerd while it runs (from its pidfile, checked against its command line)."""
        return _pid_matches(self.pidfile, "dockerd", str(self.data_dir))

    def answers(self, timeout: int = 3) -> bool:
        try:
            client = self.client(timeout=timeout)
        except Exception:
            return False
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def container_count(self) -> int:
        client = self.client()
        try:
            return len(client.api.containers(all=True))
        finally:
            client.close()

    def crash(self) -> None:
        """kill -9 this ship's dockerd and the containerd it started, as a crash would, and wait until both are gone.
        Its containers' processes live on in their shims; ``Fleet.up`` restarts the daemons with their state."""
        _crash([int(path.read_text()) for path in (self.pidfile, self.containerd_pidfile) if path.exists()], f"{self.name}'s daemons")

    def clear_leftovers(self) -> None:
        """What a killed dockerd left behind that would stop a new one over the same state from starting.

        Its pidfile and socket; the containerd it had started, if that outlived it (an orphan whose pipe to dockerd
        is gone, and which holds containerd's database), with that containerd's pidfile and sockets: the new dockerd
        starts its own containerd, which takes the containers' shims back. A pidfile whose pid now belongs to another
        process would make dockerd refuse to start, or take that process for its containerd.
        """
        containerd_dir = self.exec_root / "containerd"
        _kill_matching(str(containerd_dir / "containerd.toml"))  # on containerd's command line only, not its shims'
        for path in (self.pidfile, self.socket, self.containerd_pidfile, *containerd_dir.glob("containerd*.sock*")):
            path.unlink(missing_ok=True)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "ip": self.ip,
            "docker_host": self.docker_host,
            "socket": str(self.socket),
            "netns": self.netns,
            "data_dir": str(self.data_dir),
        }


@dataclass
class Fleet:
    size: int = 3
    prefix: str = "mdk"
    subnet: str = "10.231.0"
    state_dir: Path = field(default_factory=lambda: REPO / ".fleet")
    extra_dockerd_args: dict[str, list[str]] = field(default_factory=dict)
    # A directory with ca.pem, server-cert.pem, server-key.pem, cert.pem, key.pem (see make_tls_certs):
    # the ships then serve their TCP API on 2376 with TLS and client verification.
    tls_dir: Path | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9]{0,5}", self.prefix):
            raise FleetError(f"fleet prefix {self.prefix!r} must be 1-6 lowercase letters or digits, starting with a letter")
        if not re.fullmatch(r"10\.\d{1,3}\.\d{1,3}", self.subnet):
            raise FleetError(f"fleet subnet {self.subnet!r} must be three octets inside 10.0.0.0/8, e.g. 10.231.0")
        if not 1 <= self.size <= 200:
            raise FleetError(f"a fleet has 1 to 200 ships, not {self.size}")
        self.state_dir = Path(self.state_dir).resolve()

    @classmethod
    def from_env(cls, **overrides) -> Fleet:
        kwargs = {
            "size": int(os.environ.get("FLEET_SHIPS", "3")),
            "prefix": os.environ.get("FLEET_PREFIX", "mdk"),
            "subnet": os.environ.get("FLEET_SUBNET", "10.231.0"),
            "state_dir": Path(os.environ.get("FLEET_DIR", REPO / ".fleet")),
        }
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

    # ---- names and files -------------------------------------------------------------------
    @property
    def ships(self) -> list[Ship]:
        return [Ship(i, self) for i in range(1, self.size + 1)]

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-br"

    @property
    def gateway(self) -> str:
        return f"{self.subnet}.1"

    @property
    def registry(self) -> str:
        return f"{self.gateway}:{REGISTRY_PORT}"

    @property
    def run_dir(self) -> Path:
        return RUN_ROOT / self.prefix

    @property
    def registry_pidfile(self) -> Path:
        return self.run_dir / "registry.pid"

    @property
    def ships_file(self) -> Path:
        return self.state_dir / "ships.yaml"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    def image(self, tag: str, repository: str = DEMO_REPOSITORY) -> str:
        return f"{self.registry}/{repository}:{tag}"

    def extra(self, slot: int, state_dir: Path, **kwargs) -> Fleet:
        """Extra fleet number ``slot`` (0-3) beside this one, for tests: see the module's docstring for its names."""
        prefix, subnet = extra_names(self.prefix, self.subnet, slot)
        return Fleet(prefix=prefix, subnet=subnet, state_dir=state_dir, **kwargs)

    # ---- up ----------------------------------------------------------------------------------
    def up(self) -> Fleet:
        """Start the fleet, or reuse the one that runs, restarting with their state the daemons of it that died.

        A fleet is never wiped silently: one that cannot be restarted with its state is refused (restart_dead), and
        one made with another size or subnet is taken down with a line that says so.
        """
        check_prerequisites()
        self.refuse_another_fleet()
        state = self.read_state()
        if state and (state.get("size"), state.get("subnet")) == (self.size, self.subnet):
            self.restart_dead()
            log(f"reusing the running fleet {self.prefix} ({self.size} ships)")
            self.ensure_images()
            self.write_files()
            return self
        if state:
            log(
                f"fleet {self.prefix} has {state.get('size')} ships on {state.get('subnet')}, not {self.size} on {self.subnet}: "
                "taking it down, with its containers, to make it anew"
            )
        self.down(quiet=True)  # leftovers of an interrupted run, which never wrote its state: clean, don't trip over them
        started = time.monotonic()
        try:
            self._make_network()
            self._start_registry()
            self._start_ships()
            self.ensure_images()
            self.write_files()
        except BaseException:
            self.down(quiet=True)
            raise
        log(f"fleet {self.prefix} up: {self.size} ships in {time.monotonic() - started:.1f}s, registry {self.registry}")
        return self

    def is_running(self) -> bool:
        state = self.read_state()
        if not state or state.get("size") != self.size or state.get("subnet") != self.subnet:
            return False
        if not _pid_matches(self.registry_pidfile, "docker-registry"):
            return False
        for ship in self.ships:
            if not _pid_matches(ship.pidfile, "dockerd", str(ship.data_dir)):
                return False
            try:
                ship.client(timeout=5).ping()
            except Exception:
                return False
        return True

    def _make_network(self) -> None:
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        for ship in self.ships:
            peer = f"{self.prefix}-p{ship.index}"
            run("ip", "netns", "add", ship.netns)
            run("ip", "link", "add", ship.veth, "type", "veth", "peer", "name", peer)
            run("ip", "link", "set", ship.veth, "master", self.bridge)
            run("ip", "link", "set", ship.veth, "up")
            run("ip", "link", "set", peer, "netns", ship.netns)
            ns = ("ip", "netns", "exec", ship.netns)
            run(*ns, "ip", "link", "set", peer, "name", "eth0")
            run(*ns, "ip", "addr", "add", f"{ship.ip}/24", "dev", "eth0")
            run(*ns, "ip", "link", "set", "eth0", "up")
            run(*ns, "ip", "link", "set", "lo", "up")
            run(*ns, "ip", "route", "add", "default", "via", self.gateway)

    def crash_registry(self) -> None:
        """kill -9 the registry, as a crash would, and wait until it is gone; ``up`` restarts it over its storage."""
        pid = _pid_matches(self.registry_pidfile, "docker-registry")
        if pid is not None:
            _crash([pid], "the registry")

    def _start_registry(self) -> None:
        root = self.state_dir / "registry"
        (root / "data").mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config = root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: '{self.registry}'}}\n"
        )
        with open(root / "registry.log", "ab") as out:
            proc = subprocess.Popen(
                ["docker-registry", "serve", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.registry_pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise FleetError(f"the registry at {self.registry} exited with status {proc.returncode}: {_tail(root / 'registry.log')}")
            try:
                urllib.request.urlopen(f"http://{self.registry}/v2/", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise FleetError(f"the registry at {self.registry} did not answer within 20s: {_tail(root / 'registry.log')}")

    def _start_ships(self, ships: list[Ship] | None = None) -> None:
        """Start the dockerd of ships (all of them by default) and wait until each answers."""
        ships = self.ships if ships is None else ships
        procs = {}
        for ship in ships:
            ship.data_dir.mkdir(parents=True, exist_ok=True)
            ship.run_dir.mkdir(parents=True, exist_ok=True)
            with open(ship.logfile, "ab") as out:
                procs[ship.name] = subprocess.Popen(
                    ship.dockerd_args(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        errors: dict[str, str] = {}

        def wait(ship: Ship) -> None:
            proc = procs[ship.name]
            deadline = time.monotonic() + SHIP_START_TIMEOUT
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    errors[ship.name] = f"dockerd exited with status {proc.returncode}: {_tail(ship.logfile)}"
                    return
                try:
                    ship.client(timeout=3).ping()
                    return
                except Exception:
                    time.sleep(0.3)
            errors[ship.name] = f"dockerd did not answer on {ship.docker_host} within {SHIP_START_TIMEOUT}s: {_tail(ship.logfile)}"

        threads = [threading.Thread(target=wait, args=(ship,)) for ship in ships]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            by_name = {s.name: s for s in ships}
            raise FleetError(
                "; ".join(f"ship {name} ({by_name[name].ip}) failed to come up: {err} (log: {by_name[name].logfile})" for name, err in sorted(errors.items()))
            )

    # ---- restart -----------------------------------------------------------------------------
    def restart_dead(self) -> None:
        """Restart, each with its state, the daemons of this fleet that died; refuse, touching nothing, when they cannot be.

        A ship whose dockerd is not running gets a new one over the same data root and exec root: its images, volumes
        and containers are kept (those with a restart policy start again, the others stay stopped), and the other ships
        are not touched. A dead registry is restarted over its storage. That needs what the daemons live in: the bridge,
        and each such ship's namespace, link and data root; without them the state cannot be restarted, and this says so.
        """
        dead = self._dead_ships()
        registry_dead = _pid_matches(self.registry_pidfile, "docker-registry") is None
        if not dead and not registry_dead:
            return
        missing = self._missing_for_restart(dead)
        if missing:
            stopped = [f"{ship.name}'s dockerd" for ship in dead] + (["the registry"] if registry_dead else [])
            raise FleetError(
                f"fleet {self.prefix} cannot be restarted with its state ({', '.join(stopped)} not running): {', '.join(missing)} missing; "
                "nothing was touched: run `make fleet-down` first (the fleet's containers are lost), then `make fleet`"
            )
        if registry_dead:
            self._start_registry()
            log(f"the registry of fleet {self.prefix} was not running; restarted it with its images")
        for ship in dead:
            ship.clear_leftovers()
        if dead:
            try:
                self._start_ships(dead)
            except FleetError as exc:
                raise FleetError(
                    f"fleet {self.prefix} could not be restarted with its state and is left as it is (`make fleet-down` removes it): {exc}"
                ) from exc
        for ship in dead:
            kept = ship.container_count()
            log(f"{ship.name}'s dockerd was not running; restarted it with its state ({kept} container{'' if kept == 1 else 's'} kept)")

    def _dead_ships(self) -> list[Ship]:
        """The ships whose dockerd is not running.

        One that runs gets SHIP_START_TIMEOUT to answer (it may be starting); one that runs and never answers is refused,
        as restarting it would stop its containers.
        """
        dead = []
        deadline = time.monotonic() + SHIP_START_TIMEOUT
        for ship in self.ships:
            while (pid := ship.dockerd_pid()) and not ship.answers():
                if time.monotonic() > deadline:
                    raise FleetError(
                        f"{ship.name}'s dockerd (pid {pid}) runs but does not answer on {ship.docker_host} (log: {ship.logfile}); "
                        f"nothing was touched: stop it (kill {pid}) and run `make fleet` again to restart it with its state, "
                        "or `make fleet-down` to remove the fleet"
                    )
                time.sleep(0.3)
            if pid is None:
                dead.append(ship)
        return dead

    def _missing_for_restart(self, dead: list[Ship]) -> list[str]:
        """What the dead ships' daemons (and the registry) need to start again with their state, and is gone."""
        netns, links = set(_netns_list()), set(_links())
        missing = [] if self.bridge in links else [f"link {self.bridge}"]
        for ship in dead:
            missing += [] if ship.netns in netns else [f"netns {ship.netns}"]
            missing += [] if ship.veth in links else [f"link {ship.veth}"]
            missing += [] if (ship.data_dir / "root").is_dir() else [f"data root {ship.data_dir / 'root'}"]
        return missing

    # ---- images ------------------------------------------------------------------------------
    def registry_tags(self, repository: str = DEMO_REPOSITORY) -> set[str]:
        try:
            with urllib.request.urlopen(f"http://{self.registry}/v2/{repository}/tags/list", timeout=5) as resp:
                return set(json.load(resp).get("tags") or [])
        except OSError:
            return set()

    def images_to_build(self) -> dict[tuple[str, str], object]:
        """(repository, tag) -> a function that returns its build context."""
        images: dict[tuple[str, str], object] = {(DEMO_REPOSITORY, tag): (lambda t=tag: demo_web_context(t)) for tag in DEMO_TAGS}
        images[(PROXY_REPOSITORY, PROXY_TAG)] = haproxy_context
        images[(KEEPALIVED_REPOSITORY, KEEPALIVED_TAG)] = keepalived_context
        return images

    def ensure_images(self) -> None:
        """Build the demo and proxy images FROM scratch on ship1 and push them to the registry."""
        present = {repo: self.registry_tags(repo) for repo in (DEMO_REPOSITORY, PROXY_REPOSITORY, KEEPALIVED_REPOSITORY)}
        # a registry kept from a fleet of older image sources gets every image again (a push replaces the tag)
        stamp = self.state_dir / "images.version"
        current = stamp.read_text().strip() if stamp.exists() else ""
        missing = {key: make for key, make in self.images_to_build().items() if key[1] not in present[key[0]] or current != images_version()}
        if not missing:
            return
        client = self.ships[0].client(timeout=120)
        try:
            for (repository, tag), make_context in missing.items():
                ref = self.image(tag, repository)
                try:
                    client.images.build(fileobj=make_context(), custom_context=True, tag=ref, rm=True, forcerm=True)
                except Exception as exc:
                    raise FleetError(f"building {ref} on ship1 failed: {exc}") from exc
                for line in client.api.push(f"{self.registry}/{repository}", tag=tag, stream=True, decode=True):
                    if "error" in line:
                        raise FleetError(f"pushing {ref} to {self.registry} failed: {line['error']}")
                log(f"built and pushed {ref}")
            self.state_dir.mkdir(parents=True, exist_ok=True)
            stamp.write_text(images_version() + "\n")
        finally:
            client.close()

    # ---- files -------------------------------------------------------------------------------
    def read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def state(self) -> dict:
        return {
            "prefix": self.prefix,
            "subnet": self.subnet,
            "size": self.size,
            "registry": self.registry,
            "images": {tag: self.image(tag) for tag in DEMO_TAGS},
            "proxy_image": self.image(PROXY_TAG, PROXY_REPOSITORY),
            "ships": [ship.as_dict() for ship in self.ships],
        }

    def write_files(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(self.state(), indent=2) + "\n")
        lines = [
            "# The running local fleet, written by `make fleet` (tests/fleet/fleet.py).",
            "# A maestro `ships:` block; the `_fleet` key (ignored by maestro) says where the registry is.",
            "__maestro:",
            "  schema: 2",
            "_fleet:",
            f"  registry: {self.registry}",
            "  images:",
            *(f"    {tag}: {self.image(tag)}" for tag in DEMO_TAGS),
            f"    proxy: {self.image(PROXY_TAG, PROXY_REPOSITORY)}",
            f"    keepalived: {self.image(KEEPALIVED_TAG, KEEPALIVED_REPOSITORY)}",
            "ship_defaults:",
            f"  docker_port: {API_PORT}",
            "  timeout: 30",
            "ships:",
            *(f"  {ship.name}: {{ip: {ship.ip}}}" for ship in self.ships),
        ]
        self.ships_file.write_text("\n".join(lines) + "\n")

    # ---- down --------------------------------------------------------------------------------
    def running_elsewhere(self) -> str | None:
        """The state directory of a fleet with this prefix that runs from another directory than ours, if any."""
        daemons = [(self.registry_pidfile, "docker-registry", r"(\S+)/registry/config\.yml")]
        daemons += [(ship.pidfile, "dockerd", r"--data-root (\S+)/ship\d+/root") for ship in self.ships]
        for pidfile, needle, pattern in daemons:
            pid = _pid_matches(pidfile, needle)
            cmd = _cmdline(pid) if pid else ""
            if cmd and f"{self.state_dir}/" not in cmd:
                found = re.search(pattern, cmd)
                return found.group(1) if found else f"the process {pid} ({cmd.strip()})"
        return None

    def refuse_another_fleet(self) -> None:
        """Refuse a fleet of this prefix that runs from another directory, or a state directory that holds another fleet."""
        elsewhere = self.running_elsewhere()
        if elsewhere:
            raise FleetError(
                f"fleet {self.prefix} is running from {elsewhere}, not from {self.state_dir}; it is left untouched: "
                f"set FLEET_DIR={elsewhere} to use it, or FLEET_PREFIX and FLEET_SUBNET for a fleet of your own"
            )
        other = (self.read_state() or {}).get("prefix")
        if other and other != self.prefix:
            raise FleetError(
                f"{self.state_dir} holds fleet {other}, not {self.prefix}; it is left untouched: set FLEET_PREFIX={other} "
                f"(and its FLEET_SUBNET) to use that fleet, or another FLEET_DIR for fleet {self.prefix}"
            )

    def down(self, quiet: bool = False) -> None:
        """Remove everything this fleet's prefix names, whether it is running, half made or stale."""
        self.refuse_another_fleet()
        say = (lambda _msg: None) if quiet else log
        ship_dirs = sorted(self.run_dir.glob("ship*")) if self.run_dir.is_dir() else []
        indexes = {int(m.group(1)) for d in ship_dirs if (m := re.fullmatch(r"ship(\d+)", d.name))}
        indexes |= {int(m.group(1)) for ns in _netns_list() if (m := re.fullmatch(rf"{self.prefix}-ship(\d+)", ns))}
        indexes |= set(range(1, self.size + 1))
        ships = [Ship(i, self) for i in sorted(indexes)]
        # Stop the daemons in parallel: dockerd stops its containers (and its containerd) itself.
        threads = [threading.Thread(target=_stop_pidfile, args=(s.pidfile, ("dockerd", str(s.data_dir)))) for s in ships]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _stop_pidfile(self.registry_pidfile, ("docker-registry",))
        netns, links = set(_netns_list()), set(_links())
        for ship in ships:
            _kill_cgroup(ship.cgroup_parent)  # container processes a killed dockerd left behind
            _kill_matching(str(ship.run_dir))  # containerd and shims of a killed dockerd
            _unmount_below(ship.data_dir, ship.run_dir)
            if ship.netns in netns:
                run("ip", "netns", "del", ship.netns, check=False)
            if ship.veth in links:  # gone already when its netns took the peer with it
                run("ip", "link", "del", ship.veth, check=False)
        if self.bridge in links:
            run("ip", "link", "del", self.bridge, check=False)
        for path in (self.run_dir, self.state_dir):
            shutil.rmtree(path, ignore_errors=True)
        say(f"fleet {self.prefix} down")

    def leftovers(self) -> list[str]:
        """What of this fleet still exists on the machine (empty after a clean down())."""
        found = [f"netns {ns}" for ns in _netns_list() if ns.startswith(f"{self.prefix}-ship")]
        found += [f"link {name}" for name in _links() if name == self.bridge or re.fullmatch(rf"{self.prefix}-[vp]\d+", name)]
        # Paths end in "/" so that fleet "mdk" does not claim fleet "mdk6"'s files.
        mine = (f"{self.run_dir}/", f"{self.state_dir}/")
        found += [f"process {pid}: {cmd}" for pid, cmd in _processes() if any(p in cmd for p in mine)]
        found += [f"mount {m}" for m in _mounts() if f"{m}/".startswith(mine)]
        found += [f"cgroup {c}" for c in _cgroups(f"maestro-{self.prefix}-ship")]
        found += [f"dir {p}" for p in (self.run_dir, self.state_dir) if p.exists()]
        return found


def extra_names(prefix: str, subnet: str, slot: int) -> tuple[str, str]:
    """(prefix, subnet) of extra fleet ``slot`` beside the fleet with this prefix and subnet (module docstring)."""
    first, second, third = (int(octet) for octet in subnet.split("."))
    if not 0 <= slot < len(EXTRA_LETTERS):
        raise FleetError(f"extra fleet slots are 0 to {len(EXTRA_LETTERS) - 1}, not {slot}")
    if third > MAIN_THIRD_OCTET_MAX or second >= 255:
        raise FleetError(
            f"fleet subnet {subnet} leaves no room for extra fleets: test fleets take third octets 0 to {MAIN_THIRD_OCTET_MAX} (extras go to 100-255)"
        )
    if slot == 4:
        return f"{prefix[:5]}{EXTRA_LETTERS[slot]}", f"{first}.{second + 1}.{third}"
    return f"{prefix[:5]}{EXTRA_LETTERS[slot]}", f"{first}.{second}.{EXTRA_SUBNET_START + 4 * third + slot}"


def make_tls_certs(directory: Path, ips: list[str]) -> Path:
    """A throwaway CA, a server certificate for ips and a client certificate, made with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    d = str(directory)
    san = ",".join(f"IP:{ip}" for ip in ips)
    steps = [
        (
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=fleet-ca",
            "-keyout",
            f"{d}/ca-key.pem",
            "-out",
            f"{d}/ca.pem",
        ),  # noqa: E501
        ("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ship", "-keyout", f"{d}/server-key.pem", "-out", f"{d}/server.csr"),
        (
            "openssl",
            "x509",
            "-req",
            "-in",
            f"{d}/server.csr",
            "-CA",
            f"{d}/ca.pem",
            "-CAkey",
            f"{d}/ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f"{d}/server.ext",
            "-out",
            f"{d}/server-cert.pem",
        ),
        ("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client", "-keyout", f"{d}/key.pem", "-out", f"{d}/client.csr"),
        (
            "openssl",
            "x509",
            "-req",
            "-in",
            f"{d}/client.csr",
            "-CA",
            f"{d}/ca.pem",
            "-CAkey",
            f"{d}/ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f"{d}/client.ext",
            "-out",
            f"{d}/cert.pem",
        ),
    ]
    (directory / "server.ext").write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
    (directory / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for step in steps:
        run(*step)
    return directory


# ---- the demo image ----------------------------------------------------------------------------
START_SH = """#!/bin/sh
# PID 1 of demo/web: busybox httpd in the background, and exit at once on TERM or INT
# (busybox httpd as PID 1 would ignore SIGTERM and make `docker stop` wait its whole timeout).
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
wait $pid
"""


# The CGI script that answers / in demo/web:flaky and :slow (busybox httpd runs cgi-bin/index.cgi for a directory
# without an index.html). Its environment is the container's: FLAKY_PERCENT and SLOW_MS reach it.
FLAKY_CGI = r"""#!/bin/sh
# demo/web:flaky: 500 to FLAKY_PERCENT percent of the requests (default @PERCENT@), spread evenly: request n fails when
# n * percent / 100 passes a whole number, so any run of requests fails that share of them, give or take one. The
# count starts at a random place, so that containers fail different requests; a mkdir lock keeps it exact.
percent=${FLAKY_PERCENT:-@PERCENT@}
case "$percent" in ''|*[!0-9]*) percent=@PERCENT@ ;; esac
tries=0
until mkdir /tmp/flaky.lock 2>/dev/null || [ $tries -ge 200 ]; do usleep 1000; tries=$((tries + 1)); done
if [ -s /tmp/flaky.count ]; then n=$(cat /tmp/flaky.count); else n=$(( $(od -An -N2 -tu2 /dev/urandom) % 100 )); fi
n=$((n + 1))
echo "$n" > /tmp/flaky.count
rmdir /tmp/flaky.lock 2>/dev/null
if [ $(( n * percent / 100 )) -gt $(( (n - 1) * percent / 100 )) ]; then
    printf 'Status: 500 Internal Server Error
Content-Type: text/plain

error @TAG@
'
else
    printf 'Content-Type: text/plain

@TAG@
'
fi
"""
SLOW_CGI = r"""#!/bin/sh
# demo/web:slow: answers after SLOW_MS milliseconds (default @MS@).
ms=${SLOW_MS:-@MS@}
case "$ms" in ''|*[!0-9]*) ms=@MS@ ;; esac
usleep $(( ms * 1000 ))
printf 'Content-Type: text/plain\r\n\r\n@TAG@\n'
"""


def images_version() -> str:
    """What the fleet's images are built from, as a short hash: a fleet built from other sources builds them again."""
    sources = (START_SH, FLAKY_CGI, SLOW_CGI, HAPROXY_CFG, KEEPALIVED_CONF, inspect.getsource(demo_web_context))
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()[:16]


def demo_web_context(tag: str) -> io.BytesIO:
    """The build context of demo/web:<tag>, as a tarball: busybox, a start script and the pages.

    ``/`` answers the version (``v1``); ``/health`` answers ``ok`` (absent in ``broken``, so
    its health endpoint answers 404 while ``/`` still serves). In ``flaky``, ``/`` answers 500 to
    FLAKY_PERCENT percent of the requests (default 20), and in ``slow`` it answers after SLOW_MS
    milliseconds (default 300), both through a CGI script; their ``/health`` answers at once.
    """
    healthy = tag != "broken"
    dockerfile = "\n".join(
        [
            "FROM scratch",
            "COPY busybox /bin/busybox",
            'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
            'RUN ["/bin/busybox", "mkdir", "-m", "1777", "/tmp"]',
            "COPY start.sh /start.sh",
            "COPY www /www",
            f'LABEL org.opencontainers.image.title="demo/web" org.opencontainers.image.version="{tag}"',
            "ENV PORT=8080",
            "EXPOSE 8080",
            # broken says so in its log, which a failed check shows the last lines of (the others print nothing)
            'CMD ["/bin/sh", "-c", "echo demo/web:broken has no /health page; exec sh /start.sh"]' if not healthy else 'CMD ["/bin/sh", "/start.sh"]',
        ]
    )
    files = {"Dockerfile": (dockerfile.encode(), 0o644), "start.sh": (START_SH.encode(), 0o755)}
    cgi = {"flaky": FLAKY_CGI.replace("@PERCENT@", str(FLAKY_PERCENT)), "slow": SLOW_CGI.replace("@MS@", str(SLOW_MS))}.get(tag)
    if cgi:
        files["www/cgi-bin/index.cgi"] = (cgi.replace("@TAG@", tag).encode(), 0o755)
    else:
        files["www/index.html"] = (f"{tag}\n".encode(), 0o644)
    if healthy:
        files["www/health"] = (f"ok {tag}\n".encode(), 0o644)
    return _tarball(files, {"busybox": shutil.which("busybox") or "/usr/bin/busybox"})


HAPROXY_CFG = """# Placeholder: maestro.docker writes the real configuration and reloads (SIGUSR2).
global
    master-worker
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend placeholder
    bind :8404
    http-request return status 200 content-type text/plain string "haproxy up"
"""


def haproxy_context() -> io.BytesIO:
    """proxy/haproxy:2.6: Debian's haproxy binary and the libraries ldd lists, FROM scratch.

    Laid out like the official ``haproxy`` image (config at /usr/local/etc/haproxy/haproxy.cfg,
    master-worker in the foreground, SIGUSR2 reloads), so the collection treats both alike.
    """
    return _debian_binary_context(
        "haproxy",
        ["STOPSIGNAL SIGUSR1", 'CMD ["/usr/sbin/haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]'],
        {
            "rootfs/usr/local/etc/haproxy/haproxy.cfg": (HAPROXY_CFG.encode(), 0o644),
            "rootfs/etc/passwd": (b"root:x:0:0:root:/:/bin/sh\nhaproxy:x:99:99::/:/bin/false\n", 0o644),
            "rootfs/etc/group": (b"root:x:0:\nhaproxy:x:99:\n", 0o644),
        },
    )


def _debian_binary_context(program: str, dockerfile_tail: list[str], files: dict) -> io.BytesIO:
    """The build context of an image FROM scratch holding Debian's /usr/sbin/<program>, the libraries ldd lists for it
    and busybox, titled ``program``; ``dockerfile_tail`` ends the Dockerfile (its CMD), ``files`` go in beside."""
    binary = shutil.which(program) or f"/usr/sbin/{program}"
    libs = re.findall(r"(/\S+) \(0x", run("ldd", binary).stdout)  # "name => /path (0x...)" and the loader
    head = ["FROM scratch", "COPY rootfs/ /", 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', f'LABEL org.opencontainers.image.title="{program}"']
    dockerfile = "\n".join(head + dockerfile_tail)
    paths = {"rootfs/bin/busybox": shutil.which("busybox") or "/usr/bin/busybox", f"rootfs/usr/sbin/{program}": binary}
    paths.update({f"rootfs{lib}": os.path.realpath(lib) for lib in libs})
    return _tarball({"Dockerfile": (dockerfile.encode(), 0o644), **files}, paths)


KEEPALIVED_CONF = """# Placeholder: maestro.docker writes the real configuration and reloads (SIGHUP).
global_defs {
    router_id placeholder
}
"""


def keepalived_context() -> io.BytesIO:
    """proxy/keepalived:2.2: Debian's keepalived binary and the libraries ldd lists, FROM scratch, with busybox for its
    track scripts (wget to the proxy's health endpoint). VRRP only, in the foreground, logging to the console;
    SIGHUP reloads the configuration at /etc/keepalived/keepalived.conf. It needs host networking and NET_ADMIN,
    NET_BROADCAST and NET_RAW to hold an address and send VRRP adverts."""
    return _debian_binary_context(
        "keepalived",
        ['CMD ["/usr/sbin/keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", "/etc/keepalived/keepalived.conf"]'],
        {
            "rootfs/etc/keepalived/keepalived.conf": (KEEPALIVED_CONF.encode(), 0o644),
            "rootfs/etc/passwd": (b"root:x:0:0:root:/:/bin/sh\nkeepalived_script:x:98:98::/:/bin/false\n", 0o644),
            "rootfs/etc/group": (b"root:x:0:\nkeepalived_script:x:98:\n", 0o644),
            "rootfs/tmp/.keep": (b"", 0o644),
            "rootfs/run/.keep": (b"", 0o644),
        },
    )


def _tarball(files: dict[str, tuple[bytes, int]], paths: dict[str, str]) -> io.BytesIO:
    """A build context: in-memory files {name: (data, mode)} and host files {name: source path}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, source in paths.items():
            tar.add(source, arcname=name)
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


# ---- machine helpers ---------------------------------------------------------------------------
def check_prerequisites() -> None:
    if os.geteuid() != 0:
        raise FleetError("the fleet needs root: it creates network namespaces and runs dockerd (run `make fleet` as root)")
    missing = sorted({pkg for cmd, pkg in PACKAGES.items() if shutil.which(cmd) is None})
    if missing:
        raise FleetError(f"missing packages {', '.join(missing)}: run `make deps` (apt-get install -y {' '.join(missing)})")


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text[-lines:]) or "(empty log)"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _pid_matches(pidfile: Path, *needles: str) -> int | None:
    """The pid in pidfile if that process is alive and its command line has every needle."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    cmd = _cmdline(pid)
    return pid if cmd and all(n in cmd for n in needles) else None


def _stop_pidfile(pidfile: Path, needles: tuple[str, ...], timeout: float = 30) -> None:
    pid = _pid_matches(pidfile, *needles)
    if pid is None:
        return
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_alive(pid):
        time.sleep(0.2)
    if _is_alive(pid):
        _signal(pid, signal.SIGKILL)
        time.sleep(0.5)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _processes() -> list[tuple[int, str]]:
    procs = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            cmd = _cmdline(int(entry.name))
            if cmd:
                procs.append((int(entry.name), cmd))
    return procs


def _crash(pids: list[int], what: str, timeout: float = 10) -> None:
    """kill -9 pids, as a crash would, and wait until they are gone."""
    for pid in pids:
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while any(_is_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise FleetError(f"{what} {pids} outlived SIGKILL")
        time.sleep(0.1)


def _kill_matching(needle: str, timeout: float = 10) -> None:
    pids = [pid for pid, cmd in _processes() if needle in cmd]
    for pid in pids:
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}/cmdline").exists() and _is_alive(pid) for pid in pids):
        time.sleep(0.1)


def _is_alive(pid: int) -> bool:
    """True while pid runs (a zombie, already dead but not yet reaped by its parent, is not alive)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _cgroups(prefix: str, exact: bool = False) -> list[str]:
    root = Path("/sys/fs/cgroup")
    found = []
    for controller in root.iterdir() if root.is_dir() else []:
        with contextlib.suppress(OSError):
            found += [str(p) for p in controller.iterdir() if p.is_dir() and (p.name == prefix if exact else p.name.startswith(prefix))]
    return found


def _kill_cgroup(name: str) -> None:
    for cg in _cgroups(name, exact=True):
        for procs in sorted(Path(cg).rglob("cgroup.procs")):
            with contextlib.suppress(OSError, ValueError):
                for pid in procs.read_text().split():
                    _signal(int(pid), signal.SIGKILL)
    if _cgroups(name, exact=True):
        time.sleep(0.2)
    for cg in _cgroups(name, exact=True):
        for sub in sorted(Path(cg).rglob("*"), key=lambda p: len(p.parts), reverse=True) + [Path(cg)]:
            if sub.is_dir():
                with contextlib.suppress(OSError):
                    sub.rmdir()


def _mounts() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            points.append(line.split()[4].replace("\\040", " "))
    return points


def _unmount_below(*dirs: Path) -> None:
    prefixes = tuple(str(d) for d in dirs)
    for point in sorted((m for m in _mounts() if f"{m}/".startswith(tuple(f"{p}/" for p in prefixes))), key=len, reverse=True):
        run("umount", "-l", point, check=False)


def _netns_list() -> list[str]:
    proc = run("ip", "netns", "list", check=False)
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def _links() -> list[str]:
    proc = run("ip", "-o", "link", "show", check=False)
    return [line.split(":")[1].strip().split("@")[0] for line in proc.stdout.splitlines() if ":" in line]


# ---- command line -------------------------------------------------------------------------------
def show(fleet: Fleet) -> int:
    """Each ship, its address, its Docker version, and that it can pull demo/web:v1."""
    state = fleet.read_state()
    if not state:
        raise FleetError(f"no fleet {fleet.prefix} is running (start it with `make fleet`)")
    image = fleet.image("v1")
    print(f"Fleet {fleet.prefix}: {fleet.size} ships, registry {fleet.registry}, ships file {fleet.ships_file}")
    print(f"{'ship':<8} {'address':<15} {'docker API':<24} {'docker':<10} pulled {image}")
    failures = 0
    for ship in fleet.ships:
        version, result = "?", ""
        try:
            client = ship.client()
            version = client.version().get("Version", "?")
            result = f"ok {client.images.pull(image).id[7:19]}"
            client.close()
        except Exception as exc:  # a ship that cannot pull is what this command reports
            result, failures = f"FAILED: {exc}", failures + 1
        print(f"{ship.name:<8} {ship.ip:<15} {ship.docker_host:<24} {version:<10} {result}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fleet", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("action", choices=["up", "down", "status", "show"])
    parser.add_argument("--ships", type=int, help="number of ships (FLEET_SHIPS, default 3)")
    args = parser.parse_args(argv)
    try:
        fleet = Fleet.from_env(size=args.ships)
        if args.action == "up":
            fleet.up()
            print(fleet.ships_file)
        elif args.action == "down":
            fleet.down()
            left = fleet.leftovers()
            if left:
                raise FleetError(f"fleet {fleet.prefix} left behind: {', '.join(left)}")
        elif args.action == "status":
            running = fleet.is_running()
            print(json.dumps({"running": running, **(fleet.state() if running else {})}, indent=2))
            return 0 if running else 1
        else:
            return show(fleet)
    except FleetError as exc:
        print(f"fleet: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fleet: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
