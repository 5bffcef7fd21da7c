using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HandWrite.Core.Training;

/// <summary>
/// Batched augmentation of 0..1 images [N,1,28,28] on the training batch itself, as tensor math:
/// a random affine per image (rotation, scale, shear, translation) through affine_grid/grid_sample,
/// and a random stroke-thickness change (soft dilation or erosion). Ranges are what real digits vary by.
/// </summary>
public static class Augmentation
{
    const double MaxRotation = 12 * Math.PI / 180, MaxScale = 0.12, MaxShear = 0.15, MaxShift = 2.5 / 14; // shift in half-widths

    // The numbers per-batch ops take as Scalars, rooted: see MnistDataset's note on TorchSharp's Scalar. (lerp's
    // weight is a 0-d tensor, which the dispose scope holds.)
    static readonly TorchSharp.Scalar Two = 2, One = 1, OneThird = 1.0 / 3, TwoThirds = 2.0 / 3,
        Rotation = MaxRotation, Scale = MaxScale, Shear = MaxShear, Shift = MaxShift;

    public static Tensor Apply(Tensor images, Generator? random = null)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0];
        Tensor Uniform(TorchSharp.Scalar range) => rand(n, generator: random).mul_(Two).sub_(One).mul_(range);

        // Thickness: a third of the images thicker, a third thinner, a third unchanged.
        var choice = rand(n, generator: random).view(n, 1, 1, 1);
        var thicker = images.lerp(F.max_pool2d(images, 3, 1, 1), 0.5);
        var thinner = images.lerp(F.max_pool2d(images.neg(), 3, 1, 1).neg_(), 0.5);
        var x = where(choice < OneThird, thicker, where(choice < TwoThirds, thinner, images));

        var angle = Uniform(Rotation);
        var scale = Uniform(Scale).add_(One);
        var shear = Uniform(Shear);
        var cos = angle.cos().div(scale);
        var sin = angle.sin().div(scale);
        // theta maps output to input coordinates: rotation and scale, with a shear on x.
        var theta = stack([
            stack([cos, sin.neg().add(shear.mul(cos)), Uniform(Shift)], 1),
            stack([sin, cos.add(shear.mul(sin)), Uniform(Shift)], 1)], 1);
        var grid = F.affine_grid(theta, [n, 1, 28, 28], align_corners: false);
        return F.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
            .MoveToOuterDisposeScope();
    }
}
