# A worker of the network example: connects to the session, says hello, prints the reply.
import os
import socket

master = os.environ["CML_MASTER_IP"]
port = int(os.environ.get("COHORT_DEMO_PORT", "6000"))
with socket.create_connection((master, port)) as s:
    me = os.environ["CDSW_ENGINE_ID"]
    s.sendall(f"hello from {me} (python) at {os.environ['CDSW_IP_ADDRESS']}\n".encode())
    print("master replied:", s.makefile().readline().strip())
