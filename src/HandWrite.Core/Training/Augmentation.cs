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
        var thicker = images.lerp(Extreme3x3(images, max: true), 0.5);
        var thinner = images.lerp(Extreme3x3(images, max: false), 0.5);
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

    /// <summary>
    /// The largest (or smallest) value in each pixel's 3x3 neighbourhood, borders ignored: exactly
    /// <c>max_pool2d(x, 3, 1, 1)</c> (or <c>-max_pool2d(-x, 3, 1, 1)</c>), the same nine values, as two separable passes of
    /// elementwise maximum over shifted views. libtorch's pool is slow on one channel (1.6 ms for a batch of 128 here).
    /// </summary>
    internal static Tensor Extreme3x3(Tensor images, bool max)
    {
        using var scope = NewDisposeScope();
        long h = images.shape[2], w = images.shape[3];
        var padded = F.pad(images, [1, 1, 1, 1], value: max ? double.NegativeInfinity : double.PositiveInfinity);
        Tensor Pick(Tensor a, Tensor b) => max ? a.maximum(b) : a.minimum(b);
        var rows = Pick(Pick(padded.narrow(3, 0, w), padded.narrow(3, 1, w)), padded.narrow(3, 2, w));
        return Pick(Pick(rows.narrow(2, 0, h), rows.narrow(2, 1, h)), rows.narrow(2, 2, h)).MoveToOuterDisposeScope();
    }
}
