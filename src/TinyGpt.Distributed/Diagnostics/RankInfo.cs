namespace TinyGpt.Distributed.Diagnostics;

/// <summary>Where one rank of the job runs.</summary>
/// <param name="Rank">Its rank in the job.</param>
/// <param name="LocalRank">Its rank on its node.</param>
/// <param name="HostName">Its node's name.</param>
/// <param name="ProcessId">Its operating-system process id.</param>
public sealed record RankInfo(int Rank, int LocalRank, string HostName, int ProcessId);
