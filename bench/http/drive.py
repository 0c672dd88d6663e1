#!/usr/bin/env python3
"""A fixed, sequential client for counting instructions per request.

drive.py PORT CONVERSATIONS

Holds CONVERSATIONS conversations one after another on one keep-alive
connection, as bench/http/conversation.lua does under wrk: create, then the
same ten messages. Every request must succeed. Used by instructions.sh.
"""
import http.client
import json
import sys

MESSAGES = [
    "hi",
    "my husband cheated on me and i found out last week",
    "i feel so betrayed and angry, i can't sleep",
    "yes",
    "i don't know if i can ever trust him again",
    "how do we rebuild trust after an affair?",
    "give me an example",
    "we keep fighting whenever we try to talk about it",
    "the purple elephant sang all night",
    "should we see a couples therapist?",
]


def request(connection, path, body, headers):
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.status not in (200, 201):
        sys.exit(f"drive.py: {path} answered {response.status}")
    return data


def main():
    port, conversations = int(sys.argv[1]), int(sys.argv[2])
    connection = http.client.HTTPConnection("127.0.0.1", port)
    json_type = {"Content-Type": "application/json"}
    for _ in range(conversations):
        created = json.loads(request(connection, "/v1/conversations", "{}",
                                     json_type))
        # The minimal server answers with fixed, made-up ids: any id works.
        path = f"/v1/conversations/{created['id']}/messages"
        headers = dict(json_type, Authorization=f"Bearer {created['token']}")
        for text in MESSAGES:
            body = json.dumps({"text": text}, separators=(",", ":"))
            request(connection, path, body, headers)


if __name__ == "__main__":
    main()
