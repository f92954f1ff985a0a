"""Run a module's main() in-process with given args and return its result dict."""

from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs, failed=False)


def _fail_json(self, msg, **kwargs):
    kwargs["msg"] = msg
    kwargs["failed"] = True
    raise ModuleExit(kwargs, failed=True)


def run_module(module, args, check_mode=False, diff=False):
    """``module`` is the imported module file; returns (result, failed)."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args), \
            mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json), \
            mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json):
        try:
            module.main()
        except ModuleExit as done:
            return done.result, done.failed
    raise AssertionError("the module returned without exit_json/fail_json")


def ok(module, args, **kwargs):
    result, failed = run_module(module, args, **kwargs)
    assert not failed, result["msg"]
    return result


def fails(module, args, **kwargs):
    result, failed = run_module(module, args, **kwargs)
    assert failed, "expected a failure, got %r" % result
    return result
