"""The emulated site's fabric: nodes as podman containers, VLANs as Linux bridges, DHCP per VLAN.

`LiveFabric` (live.py) implements fabric_protocol.Fabric for the API; the `up`, `down`,
`status` and `image` subcommands drive it from the command line.
"""
