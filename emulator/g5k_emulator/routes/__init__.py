"""The API's routes, one module per concern, mounted by app.py under /stable (also /3.0, /sid).

reference.py    GET /, /sites, /sites/{s}, /sites/{s}/clusters[/{c}],
                /sites/{s}/clusters/{c}/nodes[/{n}], /sites/{s}/servers[/{id}]
status.py       GET /sites/{s}/status, /sites/{s}/clusters/{c}/status
jobs.py         GET|POST /sites/{s}/jobs, GET|DELETE /sites/{s}/jobs/{id}, GET|POST .../{id}/walltime
kavlan.py       GET /sites/{s}/vlans, /vlans/{id}, /vlans/{id}/nodes, /vlans/nodes[/{n}],
                /vlans/users[/{login}], /vlans/{id}/users[/{login}]; POST /vlans/{id}/nodes,
                /vlans/nodes; PUT /vlans/{id}/dhcpd; PUT|DELETE /vlans/{id}/users/{login} (403)
deployments.py  GET|POST /sites/{s}/deployments, GET|PUT|DELETE /sites/{s}/deployments/{uid}
environments.py GET /sites/{s}/environments[/{uid}]
control.py      GET|PUT /_emulator/faults, GET|PUT /_emulator/faults/rules, GET /_emulator/health (outside the API prefixes)
"""
