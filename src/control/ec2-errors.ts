// The errors the control plane answers with, as the layers above it see them: the API renders
// them, and by the layering table it reaches the model through control, not around it.
export { Ec2Error } from '../model/ec2-error.js';
export { Ec2Errors } from '../model/errors.js';
