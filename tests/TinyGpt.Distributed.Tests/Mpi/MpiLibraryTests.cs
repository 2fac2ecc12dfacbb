using TinyGpt.Distributed.Mpi;

namespace TinyGpt.Distributed.Tests.Mpi;

public sealed class MpiLibraryTests
{
    [Fact]
    public void The_installed_open_mpi_is_found_and_its_handles_are_exported_globals()
    {
        // CI installs Open MPI (openmpi-bin); without it this fails with the install hint.
        var library = MpiLibrary.Load(_ => null);

        library.Implementation.Should().Be(MpiImplementation.OpenMpi);
        library.CommWorld.Should().NotBe(0);
        library.Float.Should().NotBe(library.Double);
        library.Sum.Should().NotBe(0);
        library.InPlace.Should().Be(1);
        library.LibraryVersion().Should().Contain("Open MPI");
    }

    [Fact]
    public void A_library_that_is_not_mpi_is_rejected_by_name()
    {
        var act = () => MpiLibrary.Load(name => name == MpiLibrary.LibraryOverrideVariable ? "libc.so.6" : null);

        act.Should().Throw<MpiUnavailableException>().WithMessage("*libc.so.6*neither Open MPI nor an MPICH-compatible MPI*");
    }

    [Fact]
    public void A_missing_override_file_names_the_variable_and_the_path()
    {
        var act = () => MpiLibrary.Load(name => name == MpiLibrary.LibraryOverrideVariable ? "/no/such/libmpi.so" : null);

        act.Should().Throw<MpiUnavailableException>().WithMessage("*TINYGPT_MPI_LIBRARY*/no/such/libmpi.so*unset it*");
    }

    [Fact]
    public void No_mpi_library_at_all_says_how_to_install_one()
    {
        var act = () => MpiLibrary.Load(_ => null, ["libmpi-does-not-exist.so.40", "libmpi-does-not-exist.so.12"]);

        act.Should().Throw<MpiUnavailableException>()
            .WithMessage("*tried libmpi-does-not-exist.so.40, libmpi-does-not-exist.so.12*apt-get install openmpi-bin*dnf install openmpi*module load*");
    }
}
