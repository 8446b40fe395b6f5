"""Running statistics of a trace streamed chunk by chunk (the numbers behind summary.LookInside's parts).

Each chunk's values (Q, n, L, U) are folded in and dropped: moments merged by Chan, Golub &
LeVeque's rule, sums per phase, sums per fine time bin, saturation counts, and the keep gate's
mean per (cycle, phase). Regular data takes fast paths (phases that advance one step at a time,
one step per (cycle, phase)); anything else takes a general one with the same results.
"""
from __future__ import annotations

import math
import numpy as np

from .. import cells

KEEP_FLOAT32_MAX = 1 << 26  # keep-gate table values stored in float32 (256 MB); float16 beyond
KEEP_MAX = 1 << 28  # most keep-gate table values (512 MB in float16); beyond, the latest cycles only
LOW, HIGH = 0.1, 0.9  # saturation thresholds


class RunningStats:
    """Statistics of a sweep's chunks (Q, n, L, U), added in time order; see summary.py for what and why."""

    def __init__(self, cell: cells.Cell, n_layers: int, n_units: int, n_steps: int, phase: np.ndarray,
                 cycle: np.ndarray, bin_width: int):
        n_q, n_l, n_u = len(cell.quantities), n_layers, n_units
        self.cell, self.n_steps, self.seen = cell, n_steps, 0
        self.mean, self.m2 = np.zeros((n_q, n_l, n_u)), np.zeros((n_q, n_l, n_u))
        self.phases, self.phase_id = np.unique(phase, return_inverse=True)
        self.phase_id = self.phase_id.ravel()
        n_phases = len(self.phases)
        self.periodic = bool(np.array_equal(self.phase_id, (self.phase_id[0] + np.arange(n_steps)) % n_phases))
        self.phase_count = np.bincount(self.phase_id, minlength=len(self.phases))
        self.phase_sum = np.zeros((n_q, len(self.phases), n_l, n_u))
        self.bin_width = bin_width
        self.bin_sum = np.zeros((n_q, math.ceil(n_steps / self.bin_width), n_l, n_u))
        self.saturated = {g: (np.zeros((n_l, n_u), np.int64), np.zeros((n_l, n_u), np.int64))
                          for g in cell.sigmoid_gates}
        self._groups(phase, cycle, n_l, n_u)

    def _groups(self, phase: np.ndarray, cycle: np.ndarray, n_l: int, n_u: int) -> None:
        """The (cycle, phase) groups, sorted by cycle then phase, and the keep-gate table's storage."""
        low = int(phase.min())
        key = (cycle - cycle.min()) * (int(phase.max()) - low + 1) + (phase - low)  # (T,): sorts as (cycle, phase)
        self.is_step = bool(np.all(key[1:] > key[:-1]))  # every step its own group, in time order (regular data)
        if self.is_step:
            group_cycle, group_phase = cycle, phase
            self.group_id = self.group_count = None
        else:
            _, firsts, group_id = np.unique(key, return_index=True, return_inverse=True)
            group_cycle, group_phase = cycle[firsts], phase[firsts]
            self.group_id = group_id.ravel()
            self.group_count = np.bincount(self.group_id, minlength=len(firsts))
        n_groups, width = len(group_cycle), n_l * n_u
        first, self.keep_note = 0, ""
        if n_groups * width > KEEP_MAX:  # only the latest whole cycles that fit
            first = n_groups - KEEP_MAX // width
            if first > 0 and group_cycle[first] == group_cycle[first - 1]:
                first = int(np.searchsorted(group_cycle, group_cycle[first], side="right"))
            n_cycles = len(np.unique(group_cycle))
            kept = len(np.unique(group_cycle[first:]))
            self.keep_note = (f"the last {kept:,} of {n_cycles:,} cycles: the table of every cycle "
                              f"would pass {KEEP_MAX:,} values")
        self.first_group = first
        self.group_cycle, self.group_phase = group_cycle[first:], group_phase[first:]
        self.keep = self.keep_layer_mean = None
        if self.cell.keep_gate is not None:
            dtype = np.float32 if (n_groups - first) * width <= KEEP_FLOAT32_MAX else np.float16
            # np.empty: large arrays get huge pages, so the first writes cost less than zeros' 4 KiB faults
            self.keep = np.empty((n_groups - first, n_l, n_u), dtype)
            self.keep_layer_mean = np.empty((n_groups - first, n_l), np.float32)
            if not self.is_step:  # groups are summed into: start from zero (is_step writes every row)
                self.keep.fill(0)
                self.keep_layer_mean.fill(0)

    def add(self, start: int, values: np.ndarray) -> None:
        """Fold in the chunk of steps [start, start + n): values (Q, n, L, U) float32."""
        n = values.shape[1]
        stop = start + n
        self._moments(values)
        self._by_phase(values, start, stop)
        self._bins(values, start, stop)
        quantities = self.cell.quantities
        for gate, (low, high) in self.saturated.items():
            gate_values = values[quantities.index(gate)]  # (n, L, U)
            low += np.count_nonzero(gate_values < LOW, axis=0)
            high += np.count_nonzero(gate_values > HIGH, axis=0)
        if self.keep is not None:
            self._keep(values[quantities.index(self.cell.keep_gate)], start, stop)
        self.seen += n

    def _moments(self, values: np.ndarray) -> None:
        """Merge the chunk's mean and sum of squared deviations into the running ones (Chan et al.)."""
        n_a, n_b = self.seen, values.shape[1]
        mean_b = values.mean(axis=1, dtype=np.float64)  # (Q, L, U)
        centre = mean_b.astype(np.float32)
        deviation = values - centre[:, None]  # (Q, n, L, U) float32: exact to an ulp of each deviation
        m2_b = np.einsum("qtlu,qtlu->qlu", deviation, deviation, dtype=np.float64)
        m2_b -= n_b * (mean_b - centre) ** 2  # from the float32 centre to the mean itself
        delta, total = mean_b - self.mean, n_a + n_b
        self.m2 += np.maximum(m2_b, 0) + delta**2 * (n_a * n_b / total)
        self.mean += delta * (n_b / total)

    def _by_phase(self, values: np.ndarray, start: int, stop: int) -> None:
        if self.periodic:  # phase_id = (p0 + t) mod P: whole rounds of P steps sum as one reshape
            n_phases, n = len(self.phases), stop - start
            p0, rounds = int(self.phase_id[start]), n // len(self.phases)
            if rounds:
                by_offset = values[:, : rounds * n_phases].reshape(
                    values.shape[0], rounds, n_phases, *values.shape[2:]).sum(axis=1, dtype=np.float64)
                self.phase_sum += np.roll(by_offset, p0, axis=1)  # offset o is phase (p0 + o) mod P
            rest = slice(rounds * n_phases, n)
            self.phase_sum[:, self.phase_id[start + rest.start: stop]] += values[:, rest]  # distinct phases
            return
        ids = self.phase_id[start:stop]
        order = np.argsort(ids, kind="stable")
        firsts = np.concatenate([[0], np.flatnonzero(np.diff(ids[order])) + 1])
        self.phase_sum[:, ids[order][firsts]] += np.add.reduceat(values[:, order], firsts, axis=1, dtype=np.float64)

    def _bins(self, values: np.ndarray, start: int, stop: int) -> None:
        """Add the chunk to the fine bins: a bin begun before it, whole bins (one reshape), a bin it begins."""
        width = self.bin_width
        head_end = min(stop, -(-start // width) * width)  # the first bin edge at or after start
        body_end = head_end + (stop - head_end) // width * width
        if head_end > start:
            self.bin_sum[:, start // width] += values[:, : head_end - start].sum(axis=1, dtype=np.float64)
        if body_end > head_end:
            n_bins = (body_end - head_end) // width
            body = values[:, head_end - start: body_end - start]
            self.bin_sum[:, head_end // width: body_end // width] += body.reshape(
                values.shape[0], n_bins, width, *values.shape[2:]).sum(axis=2, dtype=np.float64)
        if stop > body_end:
            self.bin_sum[:, body_end // width] += values[:, body_end - start:].sum(axis=1, dtype=np.float64)

    def _keep(self, gate: np.ndarray, start: int, stop: int) -> None:
        """Add each step's share (value / steps in its group) of the keep gate (n, L, U) to its group."""
        layer_mean = gate.mean(axis=2, dtype=np.float64)  # (n, L)
        first = self.first_group
        if self.is_step:  # one step per group, in time order: the table holds the steps themselves
            lo = max(start, first)
            if lo < stop:
                self.keep[lo - first: stop - first] = gate[lo - start:]
                self.keep_layer_mean[lo - first: stop - first] = layer_mean[lo - start:]
            return
        ids = self.group_id[start:stop]
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        firsts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_ids)) + 1])
        groups = sorted_ids[firsts]
        share = 1.0 / self.group_count[groups]  # (g,)
        sums = np.add.reduceat(gate[order], firsts, axis=0, dtype=np.float64) * share[:, None, None]
        mean_sums = np.add.reduceat(layer_mean[order], firsts, axis=0) * share[:, None]
        kept = groups >= first
        self.keep[groups[kept] - first] += sums[kept].astype(self.keep.dtype)
        self.keep_layer_mean[groups[kept] - first] += mean_sums[kept].astype(np.float32)
