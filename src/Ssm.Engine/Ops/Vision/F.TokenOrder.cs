using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>flip_L: reverses the token order along <paramref name="axis"/> (a negative-stride view, no
    /// copy).</summary>
    public static Tensor FlipTokens(Tensor x, int axis = 1) => x.Flip(axis);

    /// <summary>H↔W transpose of a flattened grid: x (..., H·W, C) at <paramref name="axis"/> holding token
    /// h·W + w → token w·H + h. The grid transpose itself is a strided view; flattening it back to one token
    /// axis copies (a transposed grid has no single token stride).</summary>
    public static Tensor TransposeGrid(Tensor x, int height, int width, int axis = 1)
    {
        int a = ShapeUtil.Axis("transpose_grid", axis, x.Rank);
        if (x.Shape[a] != height * width)
            throw new ArgumentException($"[transpose_grid] axis {a} of x {ShapeUtil.Format(x.Shape)} is not " +
                $"H·W = {height}·{width}");
        int[] grid = [.. x.Shape[..a], height, width, .. x.Shape[(a + 1)..]];
        int[] back = [.. x.Shape[..a], height * width, .. x.Shape[(a + 1)..]];
        return x.Reshape(grid).Transpose(a, a + 1).Reshape(back);
    }

    /// <summary>Inserts a class token in the middle of a token sequence: tokens (B, M, d), cls (1, 1, d) or
    /// (B, 1, d) → (B, M+1, d) with the class token at index <paramref name="position"/> (Vim uses M / 2).</summary>
    public static Tensor InsertClassToken(Tensor tokens, Tensor cls, int position)
    {
        if (tokens.Rank != 3 || cls.Rank != 3 || cls.Shape[1] != 1 || cls.Shape[2] != tokens.Shape[2])
            throw new ArgumentException($"[insert_class_token] tokens {ShapeUtil.Format(tokens.Shape)} must be " +
                $"(B, M, d) and cls {ShapeUtil.Format(cls.Shape)} (1 or B, 1, d)");
        if (position < 0 || position > tokens.Shape[1])
            throw new ArgumentOutOfRangeException(nameof(position),
                $"[insert_class_token] position {position} outside [0, {tokens.Shape[1]}]");
        var c = cls.Expand(tokens.Shape[0], 1, tokens.Shape[2]);
        return Concat([tokens.Narrow(1, 0, position), c,
            tokens.Narrow(1, position, tokens.Shape[1] - position)], 1);
    }

    /// <summary>Inverse of <see cref="InsertClassToken"/>: x (B, M+1, d) → the class token (B, d) at
    /// <paramref name="position"/> (a view) and the other tokens (B, M, d).</summary>
    public static (Tensor ClassToken, Tensor Tokens) ExtractClassToken(Tensor x, int position)
    {
        if (x.Rank != 3)
            throw new ArgumentException($"[extract_class_token] x {ShapeUtil.Format(x.Shape)} must be rank 3");
        if (position < 0 || position >= x.Shape[1])
            throw new ArgumentOutOfRangeException(nameof(position),
                $"[extract_class_token] position {position} outside [0, {x.Shape[1]})");
        var rest = Concat([x.Narrow(1, 0, position), x.Narrow(1, position + 1, x.Shape[1] - position - 1)], 1);
        return (x.Select(1, position), rest);
    }
}
