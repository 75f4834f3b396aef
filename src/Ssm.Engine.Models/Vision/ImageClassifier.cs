using Ssm.Engine.Models.Nn;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>An image classifier: images (B, C, S, S) → logits (B, classes).</summary>
public abstract class ImageClassifier : Module
{
    /// <summary>images: (B, C, S, S) → class logits (B, classes).</summary>
    public abstract Tensor Logits(Tensor images);
}
