export { applyCondition, scaledSide } from './apply.js';
export { CLEAN, expandSweep, isFormatControl, parseCondition, PRESETS, runConditions, strength, type Condition, type ConditionStep } from './spec.js';
