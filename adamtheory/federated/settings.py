"""The federated simulator's settings, metrics and algorithm names, as plain data (no numba):
what the CLI's parser, the sweep plug-in and the Flower front end read without loading the
kernels. The simulator (:mod:`.simulator`) re-exports them.
"""

from __future__ import annotations

#: the algorithms, in the order of the kernel's codes (:mod:`.kernels`: FEDAVG = 0, ...)
ALGORITHMS = ("fedavg", "fedadam", "local-adam", "fedcm", "scaffold", "fedlada")
PROBLEMS = ("digits", "lsq")
#: name -> (kind, default, help); a float default None reaches compute as NaN (problem default)
PARAMS = {
    "algorithm": (ALGORITHMS, "fedlada", "federated algorithm"),
    "problem": (PROBLEMS, "digits", "digits: multinomial logistic regression on the UCI 8x8 "
                "digits with Dirichlet label skew; lsq: synthetic heterogeneous least squares"),
    "alpha": ("float", 0.1, "Dirichlet concentration of the label skew (digits); 0 means IID"),
    "zeta": ("float", 1.0, "spread of the client optima x_i* = x_c + zeta u_i (lsq); 0: one "
             "common optimum"),
    "M": ("int", 20, "number of clients"),
    "S": ("int", 5, "clients sampled per round (partial participation, without replacement)"),
    "K": ("int", 10, "local steps per round"),
    "batch": ("int", 16, "samples per local stochastic gradient (with replacement); 0: the "
              "client's full gradient"),
    "lr_local": ("float", 0.01, "local learning rate eta_l"),
    "lr_global": ("float", 1.0, "global (server) learning rate eta_g"),
    "linear_scaling": ("bool", False, "multiply eta_g by S (the step choice of the linear-"
                       "speedup theorems at a fixed target)"),
    "a": ("float", 0.5, "amendment weight: FedLADA steps a*m/sqrt(vhat) + (1-a)*g_a, FedCM "
          "a*g + (1-a)*g_a (a = 1: no amendment); ignored by the other algorithms"),
    "carry_v": ("bool", True, "FedLADA / local Adam: clients start v_i and vhat from the server's "
                "average of last round's vhat (REFERENCE section 7); false: from eps^2 every round"),
    "beta1": ("float", 0.9, "first-moment weight (local Adam, FedLADA, server Adam)"),
    "beta2": ("float", 0.99, "second-moment weight (local Adam, FedLADA, server Adam)"),
    "eps": ("float", None, "Adam epsilon: FedLADA/local Adam start v at eps^2; FedAdam's tau "
            "(default 1e-3 for fedadam, 1e-8 otherwise)"),
    "l2": ("float", None, "ridge weight lambda/2 ||x||^2 (default 1e-3 digits, 0 lsq)"),
    "dim": ("int", 20, "dimension d of lsq"),
    "n_local": ("int", 25, "samples per client of lsq"),
    "noise": ("float", 0.5, "label noise sigma of lsq (gives stochastic gradients a floor)"),
    "target": ("float", None, "target for rounds_to_target: gap f - f* on lsq, loss f on digits "
               "(default 0.05 lsq, 0.6 digits); the objective is then evaluated every round"),
}
METRICS = {
    "loss": "global loss f(x) = (1/M) sum_i f_i(x) + lambda/2 ||x||^2 after the round",
    "gap": "f(x) - f(x*) (lsq, exact; NaN on digits)",
    "gnorm": "||grad f(x)|| of the global objective",
    "accuracy": "fraction of all samples classified correctly (digits; NaN on lsq)",
    "drift": "client drift of the round: (1/S) sum_j ||y_j - mean(y)|| over the sampled clients",
}
FINALS = {
    "rounds_to_target": "first round with gap (lsq) or loss (digits) <= target; NaN if never",
    "mean_drift": "client drift averaged over all rounds",
}
DEFAULT_TARGET = {"digits": 0.6, "lsq": 0.05}
