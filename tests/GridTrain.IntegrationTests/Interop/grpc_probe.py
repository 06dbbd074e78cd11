"""Talks to a GridTrain controller through gRPC's C core (python3-grpcio), with hand-encoded
protobuf bytes, so nothing is shared with the .NET implementation. Prints one JSON line."""
import json
import os
import sys

import grpc

address = sys.argv[1]
auth = (("authorization", "Bearer " + os.environ["GRIDTRAIN_TOKEN"]),)
identity = lambda b: b
channel = grpc.insecure_channel(address)
result = {}

health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=identity, response_deserializer=identity)
result["health"] = health(b"", timeout=10).hex()  # 0801: SERVING

create = channel.unary_unary("/gridtrain.v1.SessionService/CreateSession", request_serializer=identity, response_deserializer=identity)
session = create(b"\x0a\x02\x08\x01", timeout=10, metadata=auth)  # resources { runtime: RUNTIME_CPU }
result["created"] = session[2:2 + session[1]].decode()

try:
    create(b"\x0a\x02\x08\x63", timeout=10, metadata=auth)  # resources { runtime: 99 }
    result["bad"] = "accepted"
except grpc.RpcError as error:
    result["bad"] = error.code().name
    result["bad_detail"] = error.details()

try:
    create(b"\x0a\x02\x08\x01", timeout=10)  # no credentials
    result["anonymous"] = "accepted"
except grpc.RpcError as error:
    result["anonymous"] = error.code().name

print(json.dumps(result))
