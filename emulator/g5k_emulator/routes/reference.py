"""Reference API: /, /sites, clusters, nodes, servers (read-only, anonymous)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ..errors import ApiError
from ..http_responses import COLLECTION, collection, link, render, self_and_parent

router = APIRouter()


def _platform(request: Request):
    return request.app.state.platform


def _site_links(request: Request, site: str, doc: dict) -> list[dict]:
    base = f"/sites/{site}"
    links = [link(request, "self", base), link(request, "parent", ""),
             link(request, "clusters", f"{base}/clusters", COLLECTION),
             link(request, "servers", f"{base}/servers", COLLECTION)]
    if doc["scheduler"] == "oar":
        links += [link(request, "jobs", f"{base}/jobs", COLLECTION),
                  link(request, "deployments", f"{base}/deployments", COLLECTION),
                  link(request, "vlans", f"{base}/vlans", COLLECTION)]
    return links


def _with_links(doc: dict, links: list[dict]) -> dict:
    return {**doc, "links": links}


@router.get("")
@router.get("/")
def root(request: Request):
    sites = link(request, "sites", "/sites", COLLECTION)
    return render(request, {"type": "grid", "uid": "grid5000", "version": "emulated",
                            "links": [link(request, "self", ""), sites]})


@router.get("/sites")
def sites(request: Request):
    ref = _platform(request).reference
    items = [_with_links(doc, _site_links(request, uid, doc)) for uid, doc in ref.sites.items()]
    return collection(request, items, "/sites", "")


@router.get("/sites/{site}")
def site(request: Request, site: str):
    doc = _platform(request).site(site)
    return render(request, _with_links(doc, _site_links(request, site, doc)))


def _cluster_links(request, site, cluster):
    base = f"/sites/{site}/clusters/{cluster}"
    return [*self_and_parent(request, base, f"/sites/{site}"), link(request, "nodes", f"{base}/nodes", COLLECTION)]


def _site_part(request: Request, site: str, part: str) -> dict:
    """The site's clusters or servers documents (404 for an unknown site)."""
    platform = _platform(request)
    platform.site(site)
    return getattr(platform.reference, part)[site]


def _clusters(request: Request, site: str) -> dict:
    return _site_part(request, site, "clusters")


def _cluster(request: Request, site: str, cluster: str) -> dict:
    clusters = _clusters(request, site)
    if cluster not in clusters:
        raise ApiError(404, f"Cannot find cluster '{cluster}' on site '{site}'")
    return clusters[cluster]


@router.get("/sites/{site}/clusters")
def clusters(request: Request, site: str):
    items = [_with_links(doc, _cluster_links(request, site, uid)) for uid, doc in _clusters(request, site).items()]
    return collection(request, items, f"/sites/{site}/clusters", f"/sites/{site}")


@router.get("/sites/{site}/clusters/{cluster}")
def cluster(request: Request, site: str, cluster: str):
    return render(request, _with_links(_cluster(request, site, cluster), _cluster_links(request, site, cluster)))


def _node_links(request, site, cluster, node):
    base = f"/sites/{site}/clusters/{cluster}"
    return self_and_parent(request, f"{base}/nodes/{node}", base)


@router.get("/sites/{site}/clusters/{cluster}/nodes")
def nodes(request: Request, site: str, cluster: str):
    _cluster(request, site, cluster)
    docs = _platform(request).reference.nodes[site][cluster]
    items = [_with_links(doc, _node_links(request, site, cluster, uid)) for uid, doc in docs.items()]
    return collection(request, items, f"/sites/{site}/clusters/{cluster}/nodes",
                      f"/sites/{site}/clusters/{cluster}")


@router.get("/sites/{site}/clusters/{cluster}/nodes/{node}")
def node(request: Request, site: str, cluster: str, node: str):
    _cluster(request, site, cluster)
    doc = _platform(request).reference.nodes[site][cluster].get(node)
    if doc is None:
        raise ApiError(404, f"Cannot find node '{node}' in cluster '{cluster}' of site '{site}'")
    return render(request, _with_links(doc, _node_links(request, site, cluster, node)))


def _servers(request: Request, site: str) -> dict:
    return _site_part(request, site, "servers")


def _server_links(request, site, server):
    return self_and_parent(request, f"/sites/{site}/servers/{server}", f"/sites/{site}")


@router.get("/sites/{site}/servers")
def servers(request: Request, site: str):
    items = [_with_links(doc, _server_links(request, site, uid)) for uid, doc in _servers(request, site).items()]
    return collection(request, items, f"/sites/{site}/servers", f"/sites/{site}")


@router.get("/sites/{site}/servers/{server}")
def server(request: Request, site: str, server: str):
    doc = _servers(request, site).get(server)
    if doc is None:
        raise ApiError(404, f"Cannot find server '{server}' on site '{site}'")
    return render(request, _with_links(doc, _server_links(request, site, server)))
