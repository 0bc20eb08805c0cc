"""Modelgate with NVIDIA's tritonclient over gRPC (GRPC_PORT, 8001 by default).

    pip install -r examples/python/requirements.txt
    MODELGATE_API_KEY=mg_live_... python examples/python/triton_grpc.py [localhost:8001]

Credentials are metadata: "x-api-key", or "authorization": "Bearer <token>".
"""
import os
import sys

import numpy as np
import tritonclient.grpc as grpcclient

url = sys.argv[1] if len(sys.argv) > 1 else "localhost:8001"
headers = {"x-api-key": os.environ["MODELGATE_API_KEY"]}
client = grpcclient.InferenceServerClient(url=url)

print("server live:", client.is_server_live(), "ready:", client.is_server_ready())
print("iris ready:", client.is_model_ready("iris", headers=headers))

rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.1, 4.7, 1.5]], dtype=np.float32)
features = grpcclient.InferInput("input", list(rows.shape), "FP32")
features.set_data_from_numpy(rows)  # raw_input_contents
result = client.infer("iris", [features], headers=headers)
print("probabilities:", result.as_numpy("probabilities"))
print("labels:", result.as_numpy("label"))
