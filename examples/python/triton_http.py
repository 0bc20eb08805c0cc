"""Modelgate with NVIDIA's tritonclient over HTTP: binary tensor data by default, as Triton.

    pip install -r examples/python/requirements.txt
    MODELGATE_API_KEY=mg_live_... python examples/python/triton_http.py [localhost:3000]

The credentials travel as a header on each call (an API key, or "authorization": "Bearer <token>").
"""
import os
import sys

import numpy as np
import tritonclient.http as httpclient

url = sys.argv[1] if len(sys.argv) > 1 else "localhost:3000"
headers = {"x-api-key": os.environ["MODELGATE_API_KEY"]}
client = httpclient.InferenceServerClient(url=url)

print("server ready:", client.is_server_ready())
print("iris:", client.get_model_metadata("iris", headers=headers))

rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.1, 4.7, 1.5]], dtype=np.float32)
features = httpclient.InferInput("input", list(rows.shape), "FP32")
features.set_data_from_numpy(rows)  # binary_data=True: the bytes follow the JSON
result = client.infer("iris", [features], headers=headers)
print("probabilities:", result.as_numpy("probabilities"))
print("labels:", result.as_numpy("label"))

text = httpclient.InferInput("text", [2], "BYTES")
text.set_data_from_numpy(np.array([b"Hello", "WORLD".encode()], dtype=np.object_))
print("normalized:", client.infer("normalize-text", [text], headers=headers).as_numpy("normalized"))
