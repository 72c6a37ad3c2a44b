"""Write the trained MLP (plus normalisation and quantile head) as an ONNX graph with onnx.helper."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .data import HORIZONS, SEASONAL_LEN, WINDOW
from .model import CLIP_ERR, CLIP_IN, CLIP_SEAS

OPSET = 17


def build_graph(model, metadata: dict) -> onnx.ModelProto:
    """model: an Ensemble (members: list of MLP, c_lo, c_hi)."""
    inits, nodes = [], []

    def const(name, arr, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out + "_" + op, **attrs))
        return out

    # ---- per-window normalisation (scale-free model) ----
    loc = node("ReduceMean", ["recent"], "loc", axes=[1], keepdims=1)
    dev = node("Sub", ["recent", loc], "dev")
    var = node("ReduceMean", [node("Mul", [dev, dev], "dev_sq")], "var", axes=[1], keepdims=1)
    std = node("Sqrt", [var], "std")
    const("i_s1", [1], np.int64); const("i_e1", [WINDOW], np.int64)
    const("i_s0", [0], np.int64); const("i_e0", [WINDOW - 1], np.int64); const("ax1", [1], np.int64)
    r1 = node("Slice", ["recent", "i_s1", "i_e1", "ax1"], "recent_1")
    r0 = node("Slice", ["recent", "i_s0", "i_e0", "ax1"], "recent_0")
    mad = node("ReduceMean", [node("Abs", [node("Sub", [r1, r0], "diff1")], "absdiff1")], "mad", axes=[1], keepdims=1)
    mabs = node("ReduceMean", [node("Abs", ["recent"], "abs_recent")], "mabs", axes=[1], keepdims=1)
    const("c001", 0.01); const("c1em6", 1e-6)
    s = node("Add", [std, mad], "s_a")
    s = node("Add", [s, node("Mul", [mabs, "c001"], "s_m")], "s_b")
    scale = node("Add", [s, "c1em6"], "scale")
    const("clip_lo", -CLIP_IN); const("clip_hi", CLIP_IN)
    zr = node("Clip", [node("Div", [dev, scale], "zr_raw"), "clip_lo", "clip_hi"], "zr")
    const("ax2", [2], np.int64)
    loc3 = node("Unsqueeze", [loc, "ax2"], "loc3")
    scale3 = node("Unsqueeze", [scale, "ax2"], "scale3")
    mask3 = node("Unsqueeze", ["seasonal_mask", "ax2"], "mask3")
    zs = node("Div", [node("Sub", ["seasonal", loc3], "s_dev"), scale3], "zs_raw")
    const("cs_lo", -CLIP_SEAS); const("cs_hi", CLIP_SEAS)
    zs = node("Mul", [node("Clip", [zs, "cs_lo", "cs_hi"], "zs_clip"), mask3], "zs")
    const("shape_s", [-1, 2 * SEASONAL_LEN], np.int64)
    zs2 = node("Reshape", [zs, "shape_s"], "zs_flat")
    rel = node("Div", [scale, node("Add", [mabs, scale], "mabs_scale")], "rel")
    minr = node("ReduceMin", ["recent"], "min_recent", axes=[1], keepdims=1)
    const("zero", 0.0)
    ge = node("GreaterOrEqual", [minr, "zero"], "nonneg_b")
    nonneg = node("Cast", [ge], "nonneg", to=TensorProto.FLOAT)
    const("e_s", [0], np.int64); const("e_e", [WINDOW], np.int64)
    zs_head = node("Slice", [zs, "e_s", "e_e", "ax2"], "zs_head")
    zr3 = node("Unsqueeze", [zr, "ax1"], "zr3")
    err = node("ReduceMean", [node("Abs", [node("Sub", [zs_head, zr3], "err_d")], "err_a")], "err_m",
               axes=[2], keepdims=0)
    const("cerr", CLIP_ERR)
    err = node("Mul", [node("Min", [err, "cerr"], "err_c"), "seasonal_mask"], "err")
    for j in range(2):
        const(f"r_s{j}", [j], np.int64); const(f"r_e{j}", [j + 1], np.int64)
    z_day = node("Slice", [zs, "r_s0", "r_e0", "ax1"], "z_day")
    z_week = node("Slice", [zs, "r_s1", "r_e1", "ax1"], "z_week")
    dw = node("ReduceMean", [node("Abs", [node("Sub", [z_day, z_week], "dw_d")], "dw_a")], "dw_m",
              axes=[2], keepdims=0)
    m_day = node("Slice", ["seasonal_mask", "r_s0", "r_e0", "ax1"], "m_day")
    m_week = node("Slice", ["seasonal_mask", "r_s1", "r_e1", "ax1"], "m_week")
    dw = node("Mul", [node("Min", [dw, "cerr"], "dw_c"), node("Mul", [m_day, m_week], "m_both")], "dw")
    f = node("Concat", [zr, zs2, "seasonal_mask", rel, nonneg, err, dw], "features", axis=1)

    # ---- ensemble of MLPs with linear skip; each: p50 + softplus deltas ----
    zs_k = []
    for k, mem in enumerate(model.members):
        p = mem.p
        h = f
        for i in range(mem.n_layers):
            const(f"m{k}_W{i}", p[f"W{i}"]); const(f"m{k}_b{i}", p[f"b{i}"])
            h = node("Relu", [node("Add", [node("MatMul", [h, f"m{k}_W{i}"], f"m{k}_mm{i}"), f"m{k}_b{i}"],
                                   f"m{k}_a{i}")], f"m{k}_h{i}")
        const(f"m{k}_Wo", p["Wo"]); const(f"m{k}_bo", p["bo"]); const(f"m{k}_Wl", p["Wl"])
        o = node("Add", [node("Add", [node("MatMul", [h, f"m{k}_Wo"], f"m{k}_mm_o"), f"m{k}_bo"], f"m{k}_o_a"),
                         node("MatMul", [f, f"m{k}_Wl"], f"m{k}_mm_l")], f"m{k}_o")
        if k == 0:
            const("shape_o", [-1, HORIZONS, 3], np.int64)
            for j in range(3):
                const(f"q_s{j}", [j], np.int64); const(f"q_e{j}", [j + 1], np.int64)
        o3 = node("Reshape", [o, "shape_o"], f"m{k}_o3")
        mid = node("Slice", [o3, "q_s0", "q_e0", "ax2"], f"m{k}_mid")
        dlo = node("Slice", [o3, "q_s1", "q_e1", "ax2"], f"m{k}_dlo")
        dhi = node("Slice", [o3, "q_s2", "q_e2", "ax2"], f"m{k}_dhi")
        lo = node("Sub", [mid, node("Softplus", [dlo], f"m{k}_sp_lo")], f"m{k}_z_lo")
        hi = node("Add", [mid, node("Softplus", [dhi], f"m{k}_sp_hi")], f"m{k}_z_hi")
        zk = node("Concat", [lo, mid, hi], f"m{k}_z", axis=2)
        zs_k.append(zk)
    zsum = zs_k[0]
    for k in range(1, len(zs_k)):
        zsum = node("Add", [zsum, zs_k[k]], f"zsum{k}")
    const("n_members", float(len(zs_k)))
    zm = node("Div", [zsum, "n_members"], "z_mean")
    # spread calibration (fitted on the validation segment)
    e_mid = node("Slice", [zm, "q_s1", "q_e1", "ax2"], "e_mid")
    e_lo = node("Slice", [zm, "q_s0", "q_e0", "ax2"], "e_lo")
    e_hi = node("Slice", [zm, "q_s2", "q_e2", "ax2"], "e_hi")
    const("c_lo", float(model.c_lo)); const("c_hi", float(model.c_hi))
    lo = node("Sub", [e_mid, node("Mul", ["c_lo", node("Sub", [e_mid, e_lo], "d_lo")], "cd_lo")], "zc_lo")
    hi = node("Add", [e_mid, node("Mul", ["c_hi", node("Sub", [e_hi, e_mid], "d_hi")], "cd_hi")], "zc_hi")
    z = node("Concat", [lo, e_mid, hi], "z", axis=2)
    q = node("Add", [loc3, node("Mul", [scale3, z], "q_scaled")], "q_raw")
    # non-negative output when the recent window is non-negative (keeps monotonicity: max is monotone)
    cond = node("Unsqueeze", [ge, "ax2"], "nonneg3")
    qpos = node("Max", [q, "zero"], "q_pos")
    nodes.append(helper.make_node("Where", [cond, qpos, q], ["quantiles"], name="quantiles_Where"))

    inputs = [
        helper.make_tensor_value_info("recent", TensorProto.FLOAT, ["N", WINDOW]),
        helper.make_tensor_value_info("seasonal", TensorProto.FLOAT, ["N", 2, SEASONAL_LEN]),
        helper.make_tensor_value_info("seasonal_mask", TensorProto.FLOAT, ["N", 2]),
    ]
    outputs = [helper.make_tensor_value_info("quantiles", TensorProto.FLOAT, ["N", HORIZONS, 3])]
    graph = helper.make_graph(nodes, "foresight_forecaster", inputs, outputs, initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="foresight-models-pipeline", producer_version=metadata["version"])
    m.ir_version = 8
    helper.set_model_props(m, {k: str(v) for k, v in metadata.items()})
    onnx.checker.check_model(m, full_check=True)
    return m
