"""The app as an MCP server (issue 13, item 6): each tab's main action is a tool with its parameters described.

The app is served in a child process with Gradio's MCP server on (`launch(mcp_server=True)`, what
`python app.py --mcp` does), and the tool schema is read where Gradio serves it, /gradio_api/mcp/schema.
Gradio takes a tool's description and its parameters' from the handler's docstring (the lines before "Args:",
then one "name: description" line per parameter); the types come from the input components.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest
from conftest import REPO_ROOT

# endpoint -> (the handler's parameters, a word its description must contain)
MAIN_ACTIONS: dict[str, tuple[list[str], str]] = {
    "tubes": (["path", "model_name", "frames_value", "short_value", "rows"], "Tubes"),
    "attention": (["video", "model_name", "compare_value", "layers_text", "parts_value", "start_value"], "Attention"),
    "merge": (["video", "model", "num_frames", "num_segments", "tokens_per_segment", "num_global", "metric"],
              "Token merging"),
    "tome_encoder": (["video", "r"], "ToMe"),
    "propagate": (["path", "segmentor", "flow", "k", "editor"], "Mask propagation"),
    "longrange": (["video", "source_name", "seed_value", "frames_value", "budget_mb"], "Long range"),
    "longrange_costs": (["longest_value", "width_value", "heads_value", "backward_value", "budget_mb"], "S4D"),
    "training_cost": (["video", "data", "techniques", "combination", "keep_ratio", "micro_batches", "lora_rank",
                       "batch_size", "num_frames", "image_size", "width", "depth", "steps", "budget_mb", "measure"],
                      "Training cost"),
    "training_cost_parallel": (["video", "data", "batch_size", "num_frames", "image_size", "width", "depth",
                                "measure"], "ZeRO-1"),
    "compare": (["path", "key", "variant_a", "number_a", "variant_b", "number_b"], "Compare"),
}
# Public endpoints that are not a tab's main action (their docstrings are their own modules' business).
OTHER_PUBLIC = {"describe_video", "dataset"}

SERVE = textwrap.dedent("""
    import sys, threading
    import app
    queue, launch = app.serve_options()
    app.demo.queue(**queue).launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), mcp_server=True,
                                   prevent_thread_lock=True, quiet=True, **launch)
    threading.Event().wait()
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mcp_schema(tmp_path_factory) -> list[dict]:
    """The tool list the served app's MCP server gives (name, description, inputSchema, meta per tool)."""
    if os.environ.get("CI") != "true":
        pytest.importorskip("mcp", reason="Gradio's MCP server needs the `mcp` package (requirements.txt)")
    port = _free_port()
    log = tmp_path_factory.mktemp("mcp") / "app.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=REPO_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline, last = time.monotonic() + 180, None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                url = f"http://127.0.0.1:{port}/gradio_api/mcp/schema"
                with urllib.request.urlopen(url, timeout=5) as response:
                    yield json.load(response)
                    return
            except OSError as err:
                last = err
                time.sleep(0.5)
        pytest.fail(f"no MCP schema within 180 s ({last}):\n{log.read_text()[-3000:]}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def _by_endpoint(schema: list[dict]) -> dict[str, dict]:
    return {tool["meta"]["endpoint_name"]: tool for tool in schema}


def test_the_public_endpoints_and_only_they_are_tools(mcp_schema):
    endpoints = set(_by_endpoint(mcp_schema))
    assert endpoints == set(MAIN_ACTIONS) | OTHER_PUBLIC, (
        f"tools differ from the public endpoints: missing {set(MAIN_ACTIONS) | OTHER_PUBLIC - endpoints}, "
        f"unexpected {endpoints - set(MAIN_ACTIONS) - OTHER_PUBLIC} (private/undocumented endpoints are no tools)")
    assert not any(name.endswith("_download") for name in endpoints)  # undocumented: results of a session


@pytest.mark.parametrize("endpoint", list(MAIN_ACTIONS))
def test_each_main_action_is_a_described_tool(mcp_schema, endpoint):
    tool = _by_endpoint(mcp_schema)[endpoint]
    parameters, word = MAIN_ACTIONS[endpoint]
    assert word in tool["description"] and len(tool["description"]) > 80, tool["description"]
    assert "Returns:" in tool["description"]  # what the tool gives back, from the docstring's Returns section
    properties = tool["inputSchema"]["properties"]
    assert list(properties) == parameters  # in the handler's order; State inputs are not tool parameters
    undescribed = [name for name, spec in properties.items() if len(spec.get("description", "")) < 15]
    assert not undescribed, f"{endpoint}: parameters without a description (an Args line): {undescribed}"
    untyped = [name for name, spec in properties.items() if not ({"type", "anyOf", "oneOf"} & set(spec))]
    assert not untyped, f"{endpoint}: parameters without a type: {untyped}"


def test_video_parameters_are_files_and_settings_keep_their_types(mcp_schema):
    tools = _by_endpoint(mcp_schema)
    tubes = tools["tubes"]["inputSchema"]["properties"]
    assert tubes["path"]["type"] == "string" and "upload_file_to_gradio" in tools["tubes"]["description"]
    assert tubes["frames_value"]["type"] == "number"
    assert tools["attention"]["inputSchema"]["properties"]["compare_value"]["type"] == "boolean"
    assert tools["training_cost"]["inputSchema"]["properties"]["techniques"]["type"] == "array"
    assert "stpt-tiny-toy" in tools["attention"]["inputSchema"]["properties"]["model_name"]["description"]
