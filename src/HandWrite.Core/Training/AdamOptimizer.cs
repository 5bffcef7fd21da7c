using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HandWrite.Core.Training;

/// <summary>
/// Adam, computed with the same libtorch ops in the same order as TorchSharp's <c>optim.Adam</c> (so the same
/// weights bit for bit), but holding every number it passes as a Scalar until the call has returned. TorchSharp's
/// own builds its Scalars implicitly (<c>exp_avg.mul_(beta1)</c>), and a Scalar is freed by its finalizer, so a
/// garbage collection in the middle of a step could free one that libtorch is still reading (see MnistDataset).
/// </summary>
internal sealed class AdamOptimizer : IDisposable
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    static readonly Scalar Beta1Scalar = Beta1, Beta2Scalar = Beta2, OneMinusBeta1 = 1 - Beta1, OneMinusBeta2 = 1 - Beta2, EpsilonScalar = Epsilon;

    /// <summary>One parameter's step count and moment estimates (what a checkpoint stores).</summary>
    internal sealed class Moments(Parameter parameter) : IDisposable
    {
        public Parameter Parameter { get; } = parameter;
        public long Step { get; set; }
        public Tensor ExpAvg { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public Tensor ExpAvgSq { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public void Dispose() { ExpAvg.Dispose(); ExpAvgSq.Dispose(); }
    }

    public IReadOnlyList<Moments> State { get; }

    public AdamOptimizer(IEnumerable<Parameter> parameters)
    {
        using var _ = no_grad();
        State = parameters.Select(p => new Moments(p)).ToList();
    }

    public void ZeroGrad()
    {
        foreach (var m in State)
        {
            using var grad = m.Parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient, at <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var m in State)
        {
            var grad = m.Parameter.grad;
            if (grad is null) continue;
            m.Step++;
            double biasCorrection1 = 1 - Math.Pow(Beta1, m.Step), biasCorrection2 = 1 - Math.Pow(Beta2, m.Step);
            using Scalar rootOfCorrection2 = Math.Sqrt(biasCorrection2), negativeStepSize = -(learningRate / biasCorrection1);
            m.ExpAvg.mul_(Beta1Scalar).add_(grad, alpha: OneMinusBeta1);
            m.ExpAvgSq.mul_(Beta2Scalar).addcmul_(grad, grad, value: OneMinusBeta2);
            var denominator = m.ExpAvgSq.sqrt().div_(rootOfCorrection2).add_(EpsilonScalar); // one temporary, not two
            m.Parameter.addcdiv_(m.ExpAvg, denominator, value: negativeStepSize);
        }
    }

    public void Dispose()
    {
        foreach (var m in State) m.Dispose();
    }
}
