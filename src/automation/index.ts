// What the automation domain exposes to the rest of DigyBot.
export {
  startAutomation,
  stopAutomation,
  kick as kickAutomation,
  idle as automationIdle,
  pruneEvents,
} from "./engine.ts";
export { automationRoutes, automationHooks } from "./routes.ts";
export * from "./service.ts";
export { sequencePanel } from "./sequences.ts";
export { flowActive, flowGoal, returnToFlow, startFlow, stopFlow, wireFlows } from "./flows.ts";
export { wireSurveys, surveyResults, surveyOf, parseScore } from "./csat.ts";
