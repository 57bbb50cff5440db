using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// Adam exactly as torch.optim.Adam computes it (no weight decay, no amsgrad), step for step bit-identical to
/// TorchSharp's, but with each parameter's temporaries freed before the next parameter's are made. TorchSharp's own
/// step holds every parameter's temporaries (the square root and the scaled denominator) until the whole step ends:
/// twice the trained subset's size on top of its moments, 4 GiB more peak memory for ESD-x on SDXL.
/// Its state is TorchSharp's Adam's, so checkpoints save and load it as they do.
/// </summary>
internal sealed class LowPeakAdam(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr)
    : TorchSharp.Modules.Adam(parameters, lr)
{
    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is not null) throw new NotSupportedException("ESD's Adam takes no closure");
        using var noGrad = no_grad();
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value, lr = options.LearningRate!.Value;
            if (options.weight_decay is not (null or 0) || options.amsgrad is true || options.maximize is true)
                throw new NotSupportedException("ESD's Adam has no weight decay, amsgrad or maximize");
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
                // Scalars held and disposed here, not left to the finalizer thread while LibTorch reads them.
                using Scalar b1 = beta1, b2 = beta2, oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2,
                    root2 = Math.Sqrt(correction2), epsilon = eps, step = -(lr / correction1);
                state.exp_avg.mul_(b1).add_(grad, alpha: oneMinusB1);
                state.exp_avg_sq.mul_(b2).addcmul_(grad, grad, value: oneMinusB2);
                using var denominator = state.exp_avg_sq.sqrt();  // the one temporary, freed here
                denominator.div_(root2).add_(epsilon);
                param.addcdiv_(state.exp_avg, denominator, value: step);
            }
        }
        return null!;
    }
}
