# The guide's chat script for Locust, adapted only to the local server:
# URL/token from $WS_URL (default ws://127.0.0.1:8080/ws/chat?token=x),
# the user's own room (so the server does no fan-out, same as the wsgate
# spec and the epoll client), and no think time (WAIT_MIN/WAIT_MAX, default 0).
import json
import os
import time
import uuid

import websocket
from locust import User, between, events, task

WS_URL = os.environ.get("WS_URL", "ws://127.0.0.1:8080/ws/chat?token=x")
WAIT_MIN = float(os.environ.get("WAIT_MIN", "0"))
WAIT_MAX = float(os.environ.get("WAIT_MAX", "0"))


class ChatUser(User):
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self):
        self.user_id = f"user-{uuid.uuid4().hex[:8]}"
        start = time.time()
        self.ws = websocket.create_connection(WS_URL)
        events.request.fire(request_type="WS", name="connect",
                            response_time=(time.time() - start) * 1000,
                            response_length=0, exception=None, context={})
        self.ws.send(json.dumps({"action": "subscribe",
                                 "channel": f"room:{self.user_id}",
                                 "userId": self.user_id}))
        self.ws.recv()

    def on_stop(self):
        self.ws.close()

    @task
    def publish(self):
        msg = {"action": "publish", "channel": "room:bench",
               "message": {"id": uuid.uuid4().hex[:12], "senderId": self.user_id,
                           "text": "Can someone help me with my order?",
                           "sentAt": int(time.time() * 1000)}}
        start = time.time()
        exc = None
        try:
            self.ws.send(json.dumps(msg))
            reply = json.loads(self.ws.recv())
            if reply.get("type") != "message_ack":
                exc = Exception(f"unexpected reply {reply.get('type')}")
        except Exception as e:  # noqa: BLE001 - recorded as a failure
            exc = e
        events.request.fire(request_type="WS", name="publish message",
                            response_time=(time.time() - start) * 1000,
                            response_length=0, exception=exc, context={})
