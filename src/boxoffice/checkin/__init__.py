"""Check-in at the gate: device keys, exactly-once admission, offline bundles and their merge.

`rules` is pure (what a scan says, what the gate answers); `redemption` admits online with
one conditional update per ticket; `bundle` and `merge` let a gate decide alone and reconcile
later (earliest scan wins); `stats` is the partner's view. See docs/checkin.md.
"""
