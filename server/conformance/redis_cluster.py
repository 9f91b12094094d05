"""A real Redis Cluster (Debian's redis-server 7): 3 masters with a replica each, on free loopback ports.

    cluster = RedisCluster(tmp_dir)
    url = cluster.start()                 # redis://127.0.0.1:<a master's port>/0, once every slot is served
    node = cluster.master_of("wsb:{r}:meta")
    cluster.fail_over(node)               # SIGKILL that master, wait until its replica serves its slots
    cluster.migrate("wsb:{r}:meta", other)  # move that key's slot, keys and all, to another master
    cluster.stop()

Each node is a RedisProcess (redis_process.py) in a directory of its own, without persistence
(a failover, not a restart, is what a cluster case exercises), `cluster-node-timeout` short so
that a killed master's replica takes over within a few seconds. `redis-cli --cluster create`
assigns the slots and the replicas.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from redis_process import START_TIMEOUT_S, RedisProcess, free_port

MASTERS = 3
NODE_TIMEOUT_MS = 1000
FAILOVER_TIMEOUT_S = 30.0  # bounds a failing wait only


class RedisCluster:
    def __init__(self, workdir: Path) -> None:
        options = ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                   "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                   # A replica may take over however long ago it last heard from its master.
                   "--cluster-replica-validity-factor", "0")
        self.nodes: list[RedisProcess] = []
        for k in range(MASTERS * 2):
            (workdir / f"node{k}").mkdir()
            # The bus port named outright: by default it is the port + 10000, past 65535 for a high free port.
            bus = ("--cluster-port", str(free_port()))
            self.nodes.append(RedisProcess(workdir / f"node{k}", aof=False, extra=options + bus))

    @property
    def url(self) -> str:
        return self.alive()[0].url

    def alive(self) -> list[RedisProcess]:
        return [node for node in self.nodes if node.proc is not None]

    def start(self) -> str:
        """Starts the nodes and joins them; a start that fails stops what it started (no test leaves Redis running)."""
        try:
            for node in self.nodes:
                node.start()
            hosts = [f"127.0.0.1:{node.port}" for node in self.nodes]
            subprocess.run(["redis-cli", "--cluster", "create", *hosts, "--cluster-replicas", "1", "--cluster-yes"],
                           check=True, capture_output=True, timeout=START_TIMEOUT_S)
            self._until(lambda: all(self._serves_all(n) for n in self.nodes) and len(self.masters()) == MASTERS
                        and all(b"master_link_status:up" in n.command("INFO", "replication")
                                for n in self.nodes if n not in self.masters()),
                        "the cluster to serve every slot, its replicas in sync")
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stops every node, also when one of them fails to stop; the first failure is raised after."""
        errors: list[BaseException] = []
        for node in self.nodes:
            try:
                node.stop()
            except BaseException as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def masters(self) -> list[RedisProcess]:
        return [n for n in self.alive() if b"role:master" in n.command("INFO", "replication")]

    def master_of(self, key: str) -> RedisProcess:
        slot = self.slot_of(key)
        for node in self.masters():
            if self._owns(node, slot):
                return node
        raise AssertionError(f"no master serves slot {slot}")

    def replica_of(self, master: RedisProcess) -> RedisProcess:
        for node in self.alive():
            if f"master_port:{master.port}".encode() in node.command("INFO", "replication"):
                return node
        raise AssertionError(f"master {master.port} has no replica")

    def freeze(self, node: RedisProcess) -> None:
        """SIGSTOP: the node stops reading; its master keeps acknowledging writes it never gets."""
        assert node.proc is not None
        node.proc.send_signal(signal.SIGSTOP)

    def repl_offset(self, node: RedisProcess) -> int:
        """How far into its master's replication stream the node is (a master: how far it wrote)."""
        info = node.command("INFO", "replication").decode()
        return int(info.split("master_repl_offset:")[1].split()[0])

    def fail_over(self, master: RedisProcess, replica: RedisProcess | None = None) -> RedisProcess:
        """SIGKILLs `master`, lets its replica run again (SIGCONT, if frozen) and waits until it is a
        master that every node agrees serves every slot."""
        replica = replica or self.replica_of(master)
        master.stop(kill=True)
        assert replica.proc is not None
        replica.proc.send_signal(signal.SIGCONT)
        self._until(lambda: b"role:master" in replica.command("INFO", "replication")
                    and all(self._serves_all(n) for n in self.alive()), "the replica to take over")
        return replica

    def migrate(self, key: str, target: RedisProcess) -> int:
        """Moves the slot of `key` to the master `target` as `redis-cli --cluster reshard` does:
        IMPORTING on the target, MIGRATING on the source, its keys MIGRATEd in batches, then the
        new owner told to the target, the source and the others, in that order. Returns the slot."""
        source = self.master_of(key)
        slot = str(self.slot_of(key))
        source_id, target_id = _id(source), _id(target)
        _ok(target.command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id))
        _ok(source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id))
        while keys := _bulk(source.command("CLUSTER", "GETKEYSINSLOT", slot, "100")):
            _ok(source.command("MIGRATE", "127.0.0.1", str(target.port), '""', "0", "5000", "KEYS", *keys))
        for node in [target, source, *(m for m in self.masters() if m not in (target, source))]:
            _ok(node.command("CLUSTER", "SETSLOT", slot, "NODE", target_id))
        self._until(lambda: all(self._owner(n, int(slot)) == target_id for n in self.alive()), "every node to see the slot moved")
        return int(slot)

    def slot_of(self, key: str) -> int:
        return int(self.alive()[0].command("CLUSTER", "KEYSLOT", key).strip().lstrip(b":"))

    @staticmethod
    def _owner(node: RedisProcess, slot: int) -> str:
        """The id of the master that `node` believes serves `slot`."""
        for line in node.command("CLUSTER", "NODES").decode().splitlines():
            fields = line.split()
            if len(fields) > 8 and "master" in fields[2] and any(_in_range(slot, r) for r in fields[8:]):
                return fields[0]
        return ""

    @staticmethod
    def _serves_all(node: RedisProcess) -> bool:
        return b"cluster_state:ok" in node.command("CLUSTER", "INFO")

    @staticmethod
    def _owns(node: RedisProcess, slot: int) -> bool:
        for line in node.command("CLUSTER", "NODES").decode().splitlines():
            fields = line.split()
            if len(fields) > 8 and "myself" in fields[2]:
                return any(_in_range(slot, r) for r in fields[8:])
        return False

    @staticmethod
    def _until(check: object, what: str) -> None:
        deadline = time.monotonic() + FAILOVER_TIMEOUT_S
        while not check():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"never happened: {what}")
            time.sleep(0.05)


def _id(node: RedisProcess) -> str:
    return node.command("CLUSTER", "MYID").split(b"\r\n")[1].decode()


def _ok(reply: bytes) -> None:
    if not reply.startswith(b"+"):
        raise AssertionError(f"Redis answered {reply!r}")


def _bulk(reply: bytes) -> list[str]:
    """The strings of an array reply (*n, then $len and the string for each)."""
    return [line.decode() for line in reply.split(b"\r\n")[2::2] if line]


def _in_range(slot: int, spec: str) -> bool:
    if spec.startswith("["):  # a slot being migrated or imported
        return False
    lo, _, hi = spec.partition("-")
    return int(lo) <= slot <= int(hi or lo)
