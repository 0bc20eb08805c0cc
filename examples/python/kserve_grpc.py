"""Modelgate over gRPC with nothing but grpcio and the committed proto (KServe's grpc_predict_v2.proto):
the stubs are generated at start with grpc_tools (Debian: python3-grpcio python3-grpc-tools python3-numpy).

    MODELGATE_API_KEY=mg_live_... python3 examples/python/kserve_grpc.py [localhost:8001]

Prints one JSON line: the server's metadata, and iris's probabilities for two rows.
"""
import json
import os
import sys
import tempfile

import grpc
import numpy as np
from grpc_tools import protoc

PROTO_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "src", "protocols", "grpc", "proto")
out = tempfile.mkdtemp()
if protoc.main(["protoc", f"-I{PROTO_DIR}", f"--python_out={out}", f"--grpc_python_out={out}", "grpc_predict_v2.proto"]) != 0:
    sys.exit("generating the stubs failed")
sys.path.insert(0, out)
import grpc_predict_v2_pb2 as pb  # noqa: E402
import grpc_predict_v2_pb2_grpc as pb_grpc  # noqa: E402

address = sys.argv[1] if len(sys.argv) > 1 else "localhost:8001"
metadata = [("x-api-key", os.environ["MODELGATE_API_KEY"])]
stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(address))

server = stub.ServerMetadata(pb.ServerMetadataRequest())
rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.1, 4.7, 1.5]], dtype=np.float32)
request = pb.ModelInferRequest(
    model_name="iris",
    inputs=[pb.ModelInferRequest.InferInputTensor(name="input", datatype="FP32", shape=list(rows.shape))],
    raw_input_contents=[rows.tobytes()],
)
response = stub.ModelInfer(request, metadata=metadata)
names = [output.name for output in response.outputs]
probabilities = np.frombuffer(response.raw_output_contents[names.index("probabilities")], dtype=np.float32)
print(json.dumps({"server": server.name, "extensions": list(server.extensions), "probabilities": probabilities.reshape(2, 3).tolist()}))
