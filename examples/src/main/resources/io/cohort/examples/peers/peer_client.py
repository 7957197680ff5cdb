# A client worker of the peers example, in Python: finds the server worker (PEERS_SERVER, its id) in
# the session's list of workers, waits until it runs, connects to the address and port the list
# gives, from its own address, sends a line and prints the reply.
import os
import socket
import time
import urllib.parse

import cohort_client as cohort

server_id = os.environ["PEERS_SERVER"]
me, my_ip = os.environ["CDSW_ENGINE_ID"], os.environ["CDSW_IP_ADDRESS"]
deadline = time.monotonic() + 90
pause = 0.02


def back_off(what):
    global pause
    if time.monotonic() + pause > deadline:
        raise SystemExit(f"{what} after 90 s")
    time.sleep(pause)
    pause = min(pause * 2, 0.5)


while True:  # the server's entry in the worker list, once it runs
    server = next((w for w in cohort.workers() if w["id"] == server_id), None)
    if server and server["status"] == "running":
        break
    if server and server["status"] in ("succeeded", "failed", "stopped"):
        raise SystemExit(f"the server {server_id} has already {server['status']}")
    back_off(f"the server {server_id} is not running")

host, port = server["ip_address"], urllib.parse.urlsplit(server["app_url"]).port
print(f"found server {server_id} at {host}:{port} in the worker list")
pause = 0.02
while True:  # running is not yet listening: retry a refused connection
    try:
        s = socket.create_connection((host, port), timeout=10, source_address=(my_ip, 0))
        break
    except ConnectionRefusedError:
        back_off(f"nobody listens on {host}:{port}")
with s:
    s.sendall(f"hello from {me} (python) at {my_ip}\n".encode())
    print("server replied:", s.makefile(encoding="utf-8").readline().strip())
