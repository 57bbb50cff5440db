namespace SampleHost.Web.Jobs;

/// <summary>Where a job is: waiting (for the model's lease), working, or ended one way or another.</summary>
public enum JobState { Queued, Running, Succeeded, Failed, Cancelled, Refused }
