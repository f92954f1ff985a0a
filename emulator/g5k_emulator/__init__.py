"""An emulated Grid'5000 site: the REST API backed by real containers, bridges and DHCP."""
