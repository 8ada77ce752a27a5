import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { zh } from '@/i18n/zh-CN';
import { appInfo, loadAppInfo } from '@/composables/appInfo';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    /** Shows the back arrow instead of the tab bar. */
    back?: boolean;
    /** The page manages its own scrolling (fills the space between nav bar and bottom). */
    fill?: boolean;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/setup', component: () => import('@/views/SetupView.vue'), meta: { title: zh.titles.setup } },
  { path: '/', component: () => import('@/views/HomeView.vue'), meta: { title: zh.titles.home } },
  { path: '/households', component: () => import('@/views/HouseholdsView.vue'), meta: { title: zh.titles.households } },
  { path: '/households/new', component: () => import('@/views/HouseholdFormView.vue'), meta: { title: zh.titles.householdNew, back: true } },
  { path: '/households/:id', component: () => import('@/views/HouseholdView.vue'), props: true, meta: { title: zh.titles.household, back: true } },
  { path: '/households/:id/edit', component: () => import('@/views/HouseholdFormView.vue'), props: true, meta: { title: zh.titles.householdEdit, back: true } },
  { path: '/households/:household/residents/new', component: () => import('@/views/ResidentFormView.vue'), props: true, meta: { title: zh.titles.residentNew, back: true } },
  { path: '/households/:household/residents/:id', component: () => import('@/views/ResidentFormView.vue'), props: true, meta: { title: zh.titles.residentEdit, back: true } },
  { path: '/households/:id/temperature', component: () => import('@/views/TemperatureView.vue'), props: true, meta: { title: zh.titles.temperature, back: true, fill: true } },
  { path: '/temperature/paste', component: () => import('@/views/PasteReadingsView.vue'), meta: { title: zh.titles.paste, back: true, fill: true } },
  { path: '/households/:id/visit', component: () => import('@/views/VisitView.vue'), props: true, meta: { title: zh.titles.visit, back: true } },
  { path: '/reports', component: () => import('@/views/ReportsView.vue'), meta: { title: zh.titles.reports } },
  { path: '/reports/new', component: () => import('@/views/ReportFormView.vue'), meta: { title: zh.titles.reportNew, back: true } },
  { path: '/reports/:id', component: () => import('@/views/ReportView.vue'), props: true, meta: { title: zh.titles.report, back: true } },
  { path: '/tasks', component: () => import('@/views/TasksView.vue'), meta: { title: zh.titles.tasks } },
  { path: '/notices', component: () => import('@/views/NoticesView.vue'), meta: { title: zh.titles.notices } },
  { path: '/notices/new', component: () => import('@/views/NoticeFormView.vue'), meta: { title: zh.titles.noticeNew, back: true } },
  { path: '/notices/:id', component: () => import('@/views/NoticeView.vue'), props: true, meta: { title: zh.titles.notice, back: true } },
  { path: '/campaigns', component: () => import('@/views/CampaignsView.vue'), meta: { title: zh.titles.campaigns, back: true } },
  { path: '/campaigns/new', component: () => import('@/views/CampaignFormView.vue'), meta: { title: zh.titles.campaignNew, back: true } },
  { path: '/campaigns/:id', component: () => import('@/views/CampaignView.vue'), props: true, meta: { title: zh.titles.campaign, back: true } },
  { path: '/stats', component: () => import('@/views/StatsView.vue'), meta: { title: zh.titles.stats, back: true } },
  { path: '/journal', component: () => import('@/views/JournalView.vue'), meta: { title: zh.titles.journal } },
  { path: '/sync', component: () => import('@/views/SyncView.vue'), meta: { title: zh.titles.sync } },
  { path: '/:rest(.*)*', redirect: '/' },
];

export function makeRouter() {
  const router = createRouter({ history: createWebHashHistory(), routes });
  // A device that is neither enrolled nor in demo mode starts at first-run setup.
  router.beforeEach(async (to) => {
    let info = appInfo.value;
    if (!info) {
      try {
        info = await loadAppInfo();
      } catch {
        return true;
      }
    }
    if (info.state === 'new' && to.path !== '/setup') return '/setup';
    // A demo device may still enroll (the shell allows it); an enrolled one may not.
    if (info.state === 'enrolled' && to.path === '/setup') return '/';
    return true;
  });
  return router;
}
