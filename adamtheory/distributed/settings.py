"""The parameter-server simulator's settings and names, as plain data (no numba): what the CLI's
parser reads without loading the kernels. :mod:`.sweep_plugin`, :mod:`.compressors` and
:mod:`.simulator` take them from here.
"""

from __future__ import annotations

#: the compressors, in the order of their integer codes (:mod:`.compressors`: IDENTITY64 = 0, ...)
COMPRESSORS = ("identity64", "identity32", "fp16", "bf16", "sign", "scaled_sign", "topk",
               "randk", "qsgd")
#: where Adam runs, in the order of the kernel's codes (SERVER_ADAM = 0, WORKER_ADAM = 1)
PLACEMENTS = ("server-adam", "worker-adam")
#: The default schedule texts of an ``[optimizer]`` table (names: parameters of :data:`PARAMS`).
SCHEDULES = {"alpha": "lr * t**(-s)", "beta": "beta", "theta": "1 - theta * t**(-r)"}
PROBLEMS = ("nonconvex-separable", "logreg-nonconvex", "ef-least-squares", "ef-nonsmooth")

PARAMS = {
    "problem": (PROBLEMS, "nonconvex-separable", "catalog problem"),
    "d": ("int", 10, "dimension of nonconvex-separable"),
    "sigma": ("float", 1.0, "gradient noise per coordinate of nonconvex-separable"),
    "lam": ("float", 0.1, "regulariser weight of logreg-nonconvex"),
    "ef_eps": ("float", 0.5, "epsilon of the error-feedback counterexamples (0 < ef_eps < 1)"),
    "workers": ("int", 1, "number of workers N"),
    "batch": ("int", 1, "mini-batch b per worker (N b samples per round)"),
    "compressor": (COMPRESSORS, "identity64", "uplink compressor Q_w"),
    "downlink": (("same",) + COMPRESSORS, "same", "downlink compressor Q_s ('same': Q_w)"),
    "k": ("int", 1, "coordinates kept by topk / randk"),
    "levels": ("int", 4, "levels s of qsgd"),
    "placement": (PLACEMENTS, "server-adam", "server-adam: compressed gradients, Adam on the "
                  "server; worker-adam: compressed local Adam steps (Efficient-Adam)"),
    "ef_worker": ("bool", False, "error feedback on the workers (uplink)"),
    "ef_server": ("bool", False, "error feedback on the server (downlink)"),
    "lr": ("float", 0.1, "alpha_t = lr t^-s"),
    "s": ("float", 0.5, "alpha_t = lr t^-s"),
    "beta": ("float", 0.9, "beta_t = beta"),
    "theta": ("float", 1.0, "theta_t = 1 - theta t^-r"),
    "r": ("float", 1.0, "theta_t = 1 - theta t^-r"),
    "eps": ("float", 1e-8, "v_0 = eps"),
    "target": ("float", 0.1, "target of the averaged gradient norm for iters_to_target"),
}
