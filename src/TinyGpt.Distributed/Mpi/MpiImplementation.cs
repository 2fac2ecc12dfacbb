namespace TinyGpt.Distributed.Mpi;

/// <summary>The MPI library family a process loaded; the two differ in how handles and constants are passed.</summary>
public enum MpiImplementation
{
    /// <summary>Open MPI (<c>libmpi.so.40</c>): handles are pointers to exported globals such as <c>ompi_mpi_comm_world</c>.</summary>
    OpenMpi,

    /// <summary>MPICH and the libraries that share its ABI (Intel MPI, MVAPICH, Cray MPICH; <c>libmpi.so.12</c>): handles are 32-bit integer constants.</summary>
    Mpich,
}
