using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Core.Training;
using HandWrite.Tests.Core;
using static TorchSharp.torch;

namespace HandWrite.Tests.Training;

/// <summary>Our Adam exists only to hold its Scalars; its arithmetic must be TorchSharp's optim.Adam's, bit for bit.</summary>
[Collection(TorchCollection.Name)]
public sealed class AdamOptimizerTests
{
    public AdamOptimizerTests() => TorchRuntime.EnsureInitialized();

    static float[] Values(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.contiguous().data<float>().ToArray();
    }

    [Fact]
    public void Steps_give_exactly_the_weights_and_moments_of_TorchSharps_Adam()
    {
        using var ours = HandWriteCnn.Create(3);
        using var theirs = HandWriteCnn.Create(3);
        using var adam = new AdamOptimizer(ours.parameters());
        using var reference = optim.Adam(theirs.parameters(), 1e-3);
        using var x = TestNoise.Normal(16, 1, 28, 28);
        using var generator = new Generator(5);
        using var labels = randint(0, 10, [16], generator: generator);
        ours.eval(); theirs.eval(); // no dropout: the two must see the same forward

        foreach (var lr in new[] { 1e-3, 7e-4, 2e-3, 1e-4 }) // a schedule changes the rate every step
        {
            using var scope = NewDisposeScope();
            adam.ZeroGrad();
            nn.functional.cross_entropy(ours.forward(x), labels).backward();
            adam.Step(lr);

            foreach (var group in reference.ParamGroups) group.LearningRate = lr;
            reference.zero_grad();
            nn.functional.cross_entropy(theirs.forward(x), labels).backward();
            reference.step();
        }

        Assert.Equal(ModelFile.WeightsSha256(theirs), ModelFile.WeightsSha256(ours));
        using (var untrained = HandWriteCnn.Create(3)) Assert.NotEqual(ModelFile.WeightsSha256(untrained), ModelFile.WeightsSha256(ours)); // it did train
        var states = reference.state_dict().State.Cast<TorchSharp.Modules.Adam.State>().ToList();
        Assert.Equal(states.Count, adam.State.Count);
        for (int i = 0; i < states.Count; i++)
        {
            Assert.Equal(states[i].step, adam.State[i].Step);
            Assert.Equal(Values(states[i].exp_avg), Values(adam.State[i].ExpAvg));
            Assert.Equal(Values(states[i].exp_avg_sq), Values(adam.State[i].ExpAvgSq));
        }
    }
}
