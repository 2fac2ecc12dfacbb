using TinyGpt.Torch;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.Tests;

public sealed class SingleProcessCollectiveTests
{
    private readonly ICollective collective = SingleProcessCollective.Instance;

    [Fact]
    public void Is_rank_zero_of_one_and_primary()
    {
        collective.Rank.Should().Be(0);
        collective.WorldSize.Should().Be(1);
        collective.LocalRank.Should().Be(0);
        collective.IsPrimary.Should().BeTrue();
    }

    [Fact]
    public void All_reduce_leaves_the_tensor_unchanged()
    {
        using var tensor = OwnedScalars.Arange(0, 6).to_type(torch.float32).reshape(2, 3);
        using var original = tensor.clone();

        collective.AllReduceSum(tensor);
        collective.AllReduceSumAsync(tensor).Wait();

        tensor.eq(original).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Broadcast_from_rank_zero_leaves_the_tensor_unchanged_and_other_roots_are_rejected()
    {
        using var tensor = OwnedScalars.Arange(0, 4);

        collective.Broadcast(tensor);

        tensor.data<long>().ToArray().Should().Equal(0, 1, 2, 3);
        var act = () => collective.Broadcast(tensor, root: 1);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void All_gather_copies_the_input_into_the_output()
    {
        using var input = OwnedScalars.Arange(0, 6).to_type(torch.int32).reshape(2, 3);
        using var output = torch.zeros(new long[] { 2, 3 }, torch.int32);

        collective.AllGather(input, output);

        output.data<int>().ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
    }

    [Fact]
    public void Barrier_returns()
    {
        var act = collective.Barrier;

        act.Should().NotThrow();
    }
}
