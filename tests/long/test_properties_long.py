# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests of the transfer job, the long run (``make test-long``): thousands of cases.

NEON_PROPERTY_EXAMPLES sets the number of cases of the main property (default 5000; about 0.1 s each).
"""

from __future__ import annotations

import os
import sys

from hypothesis import given

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import transfer_properties as props  # noqa: E402


@props.hypothesis_settings(5000)
@given(props.cases())
def test_invariants_under_random_states_requests_and_faults(case):
    props.check_case(case)


@props.hypothesis_settings(500, share=10)
@given(props.concurrent_cases())
def test_two_jobs_at_once_on_overlapping_requests_both_converge(case):
    props.check_concurrent_case(case)
